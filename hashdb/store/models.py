"""Records the store reads and writes. Plain frozen dataclasses: no ORM state leaks out."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class ListAction(enum.StrEnum):
    """What a platform should do with media matching a list."""

    BLOCK = "block"
    REVIEW = "review"
    LOG = "log"
    #: Known false positives (news footage, counter-speech): media matching an entry here is
    #: never reported as matching any other list (``hashdb.policy``).
    ALLOW = "allow"


@dataclass(frozen=True, slots=True)
class HashList:
    id: int
    name: str
    description: str
    action: ListAction
    #: Algorithm name -> inclusive Hamming threshold. Only these algorithms match on this list.
    thresholds: dict[str, int]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewList:
    name: str
    description: str = ""
    action: ListAction = ListAction.BLOCK
    #: None means the defaults of every algorithm enabled by default.
    thresholds: dict[str, int] | None = None


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

    @property
    def hex(self) -> str:
        return self.value.hex()

    @property
    def live(self) -> bool:
        return self.retired_at is None


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """The entry a new hash landed in; ``created`` is False when it was already there."""

    entry_id: int
    created: bool


class ChangeKind(enum.StrEnum):
    ADD = "add"
    RETIRE = "retire"
    LIST = "list"


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the change sequence other processes follow to keep indexes fresh."""

    seq: int
    kind: ChangeKind
    entry_id: int | None
    algorithm: str | None = None
    value: bytes | None = None


@dataclass(frozen=True, slots=True)
class LiveHashes:
    """A batch of live entries of one algorithm, for building an index."""

    algorithm: str
    ids: list[int] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)


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
