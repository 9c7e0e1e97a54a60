"""The two append-only logs: the change sequence caches follow, and the audit log."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class ChangeKind(enum.StrEnum):
    ADD = "add"
    RETIRE = "retire"
    #: A list, or a list's settings, changed.
    LIST = "list"
    #: A live entry's explanation changed (label, note, labels); its hashes did not.
    UPDATE = "update"


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the change sequence other processes follow to keep indexes fresh."""

    seq: int
    kind: ChangeKind
    entry_id: int | None
    algorithm: str | None = None
    value: bytes | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One append-only audit row: who did what to which object, with before/after state."""

    id: int
    at: datetime
    actor: str | None
    action: str
    target_type: str
    target_id: str | None
    before: dict[str, object] | None
    after: dict[str, object] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "before": self.before,
            "after": self.after,
        }
