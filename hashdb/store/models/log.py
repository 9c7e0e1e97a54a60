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
    #: An API key was revoked: every process stops trusting the keys it checked before.
    KEY = "key"


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the change sequence other processes follow to keep indexes fresh."""

    seq: int
    kind: ChangeKind
    entry_id: int | None
    algorithm: str | None = None
    value: bytes | None = None


#: Targets whose records concern the whole deployment and hold nothing private (the label
#: vocabulary and the organisations, which every caller can read): every reader sees them.
PUBLIC_AUDIT_TARGETS = frozenset({"vocabulary", "organisation"})
#: Every kind of target an audit record is about.
AUDIT_TARGETS = frozenset(
    {"list", "entry", "item", "key", "review", "import", "thumbnails", *PUBLIC_AUDIT_TARGETS}
)


@dataclass(frozen=True, slots=True)
class AuditScope:
    """The audit records a reader other than an operator may see.

    Each record is stamped when written with the list it concerns (entries, lists, review
    items, feedback) or else the organisation it concerns (an import, a key). A record with
    neither, such as one written before records were stamped, is an operator's alone.
    """

    #: Records about these lists (the ones the reader can see now); None: about every list.
    list_ids: frozenset[int] | None
    #: Imports by this organisation, and with ``keys`` its keys; None: no organisation's.
    organisation: str | None = None
    #: Records about the keys of ``organisation`` (its admins).
    keys: bool = False


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
