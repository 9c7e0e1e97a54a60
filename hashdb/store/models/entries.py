"""Entries (one hash on one list, with its provenance) and the queries over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class NewEntry:
    algorithm: str
    value: bytes
    quality: int | None = None
    source_sha256: str | None = None
    label: str | None = None
    note: str | None = None
    added_by: str | None = None
    organisation: str | None = None
    #: Where the media came from: a URL or a case/reference number.
    source: str | None = None
    #: Controlled-vocabulary labels, ``facet:value`` (``hashdb.store.labels``).
    labels: tuple[str, ...] = ()

    def stored(self, outcome: AddOutcome, list_id: int, list_name: str) -> Entry:
        """The entry as the store wrote it (``outcome`` of a created entry), without reading
        it back: an add of a thousand hashes audits each new entry from this."""
        assert outcome.added_at is not None, "only a created entry has been written"
        return Entry(
            id=outcome.entry_id,
            list_id=list_id,
            list_name=list_name,
            algorithm=self.algorithm,
            value=self.value,
            quality=self.quality,
            source_sha256=self.source_sha256,
            label=self.label,
            note=self.note,
            added_by=self.added_by,
            added_at=outcome.added_at,
            organisation=self.organisation,
            source=self.source,
            labels=self.labels,
            item_id=outcome.item_id,
        )


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    list_id: int
    list_name: str
    algorithm: str
    value: bytes
    quality: int | None
    source_sha256: str | None
    label: str | None
    note: str | None
    added_by: str | None
    added_at: datetime
    retired_at: datetime | None = None
    retired_reason: str | None = None
    retired_by: str | None = None
    organisation: str | None = None
    source: str | None = None
    labels: tuple[str, ...] = ()
    #: The item (media or raw hash) the entry belongs to.
    item_id: int | None = None

    @property
    def hex(self) -> str:
        return self.value.hex()

    @property
    def live(self) -> bool:
        return self.retired_at is None

    def to_dict(self) -> dict[str, Any]:
        """The JSON view every face shows (and the audit log keeps as before/after)."""
        return {
            "entry_id": self.id,
            "item_id": self.item_id,
            "list": self.list_name,
            "algorithm": self.algorithm,
            "hash": self.hex,
            "quality": self.quality,
            "label": self.label,
            "note": self.note,
            "added_by": self.added_by,
            "added_at": self.added_at.isoformat(),
            "source_sha256": self.source_sha256,
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "retired_reason": self.retired_reason,
            "retired_by": self.retired_by,
            "organisation": self.organisation,
            "source": self.source,
            "labels": list(self.labels),
        }


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """The entry a new hash landed in; ``created`` is False when it was already there."""

    entry_id: int
    created: bool
    item_id: int | None = None
    #: When a created entry was written (None when the hash was already there).
    added_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LiveHashes:
    """A batch of live entries of one algorithm, for building an index."""

    algorithm: str
    ids: list[int] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EntryQuery:
    """Filters for :meth:`SQLCatalog.search_entries`; ``after_id`` is the paging cursor."""

    list_name: str | None = None
    label: str | None = None
    added_after: datetime | None = None
    include_retired: bool = True
    after_id: int = 0
    limit: int = 100
    #: Only entries on these lists (None: every list); how callers scope to what they may see.
    list_ids: frozenset[int] | None = None
