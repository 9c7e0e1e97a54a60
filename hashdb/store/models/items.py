"""Items: one piece of media (or one raw hash added alone) and its hashes, which analysts act
on as one: retiring an item stops every hash of the file matching."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hashdb.store.models.entries import Entry


class ItemKind(enum.StrEnum):
    #: An image or a video: its perceptual and exact hashes (and a video's frame hashes).
    MEDIA = "media"
    #: One raw hash, as a partner sent it.
    HASH = "hash"


class ItemScope(enum.StrEnum):
    """What an action named by an entry id acts on."""

    #: The entry's whole item (the default).
    ITEM = "item"
    #: That one hash only.
    ENTRY = "entry"


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    list_id: int
    list_name: str
    kind: ItemKind
    source_sha256: str | None
    organisation: str | None
    created_at: datetime
    retired_at: datetime | None
    retired_reason: str | None
    retired_by: str | None
    #: Its hashes, live and retired, in id order.
    entries: tuple[Entry, ...]

    @property
    def live(self) -> bool:
        return self.retired_at is None

    @property
    def label(self) -> str | None:
        return next((entry.label for entry in self.entries if entry.label), None)

    @property
    def note(self) -> str | None:
        return next((entry.note for entry in self.entries if entry.note), None)

    @property
    def labels(self) -> tuple[str, ...]:
        """The controlled labels of any of its hashes."""
        return tuple(sorted({label for entry in self.entries for label in entry.labels}))

    @property
    def added_by(self) -> str | None:
        return self.entries[0].added_by if self.entries else None

    @property
    def source(self) -> str | None:
        return next((entry.source for entry in self.entries if entry.source), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON view every face shows (and the audit log keeps as before/after)."""
        return {
            "item_id": self.id,
            "list": self.list_name,
            "kind": self.kind.value,
            "source_sha256": self.source_sha256,
            "organisation": self.organisation,
            "added_by": self.added_by,
            "source": self.source,
            "created_at": self.created_at.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "retired_reason": self.retired_reason,
            "retired_by": self.retired_by,
            "label": self.label,
            "note": self.note,
            "labels": list(self.labels),
            "hashes": [
                {
                    "entry_id": entry.id,
                    "algorithm": entry.algorithm,
                    "hash": entry.hex,
                    "quality": entry.quality,
                    "retired_at": entry.retired_at.isoformat() if entry.retired_at else None,
                    "retired_reason": entry.retired_reason,
                }
                for entry in self.entries
            ],
        }


@dataclass(frozen=True, slots=True)
class ItemQuery:
    """Filters for item search; ``after_id`` is the paging cursor."""

    list_name: str | None = None
    #: The free-text label or a controlled label (``facet:value``) of any of its hashes.
    label: str | None = None
    added_after: datetime | None = None
    #: A hash of the item (hex, any algorithm) or its file's SHA-256.
    hash: bytes | None = None
    include_retired: bool = True
    after_id: int = 0
    limit: int = 50
    #: Only items on these lists (None: every list); how callers scope to what they may see.
    list_ids: frozenset[int] | None = None
