"""The storage extension point: what hashdb needs from a database.

Functions take the narrowest protocol they need; :class:`Store` composes them. The SQL
implementation (``hashdb.store.sql``) serves SQLite and PostgreSQL; a new backend is one
module implementing :class:`Store`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from hashdb.store.features import ReferenceFeatures, ReferenceHash
from hashdb.store.models import (
    AddOutcome,
    AuditRecord,
    Change,
    Entry,
    HashList,
    ListAction,
    LiveHashes,
    NewEntry,
    NewList,
)


class ListStore(Protocol):
    def create_list(self, new: NewList) -> HashList: ...
    def get_list(self, name: str) -> HashList: ...
    def ensure_list(self, name: str) -> HashList: ...
    def lists(self) -> list[HashList]: ...
    def update_list(
        self,
        name: str,
        *,
        description: str | None = None,
        action: ListAction | None = None,
        thresholds: dict[str, int] | None = None,
    ) -> HashList: ...


class EntryStore(Protocol):
    def add_entries(self, list_id: int, entries: Sequence[NewEntry]) -> list[AddOutcome]: ...
    def get_entry(self, entry_id: int) -> Entry: ...
    def get_entries(self, entry_ids: Sequence[int]) -> dict[int, Entry]: ...
    def retire_entry(self, entry_id: int, reason: str, retired_by: str | None) -> Entry: ...
    def count_entries(self, list_id: int | None = None, *, live_only: bool = True) -> int: ...


class ChangeFeed(Protocol):
    """A monotonically increasing sequence of changes, so caches elsewhere stay fresh."""

    def current_seq(self) -> int: ...
    def changes_since(self, seq: int, limit: int = 10_000) -> list[Change]: ...
    def iter_live_hashes(
        self, algorithm: str, batch_size: int = 100_000
    ) -> Iterator[LiveHashes]: ...


class AuditLog(Protocol):
    """Append-only record of every change. Writes join the caller's transaction."""

    def record_audit(
        self,
        actor: str | None,
        action: str,
        target_type: str,
        target_id: str | None,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
    ) -> None: ...
    def audit_records(
        self,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AuditRecord]: ...


class ReferenceFeatureStore(Protocol):
    """Reference-side data for robust matching of media entries (issue 6)."""

    def add_reference_data(
        self,
        entry_id: int,
        features: ReferenceFeatures,
        hashes: Sequence[tuple[str, str, bytes]],
    ) -> bool: ...
    def reference_features(self, entry_ids: Sequence[int]) -> dict[int, ReferenceFeatures]: ...
    def reference_hashes(self, entry_ids: Sequence[int] | None = None) -> list[ReferenceHash]: ...


class Store(ListStore, EntryStore, ChangeFeed, AuditLog, ReferenceFeatureStore, Protocol):
    url: str

    def transaction(self) -> AbstractContextManager[None]: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...
