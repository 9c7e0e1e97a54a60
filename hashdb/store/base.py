"""The storage extension point: what hashdb needs from a database.

Functions take the narrowest protocol they need; :class:`Store` composes them. The SQL
implementation (``hashdb.store.sql``) serves SQLite and PostgreSQL; a new backend is one
module implementing :class:`Store`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

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
from hashdb.store.scan_models import ScanJob, ScannedMedia, ScanStatus


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


class ScanStore(Protocol):
    """Bulk rescans: checkpointed scan jobs and the media-hash store for retro-matching."""

    def create_scan_job(self, params: dict[str, Any], owner: str | None) -> ScanJob: ...
    def get_scan_job(self, job_id: int) -> ScanJob: ...
    def scan_jobs(self, limit: int = 100) -> list[ScanJob]: ...
    def update_scan_job(
        self,
        job_id: int,
        *,
        status: ScanStatus | None = None,
        owner: str | None = None,
        done: int | None = None,
        last_key: list[Any] | None = None,
        output_bytes: int | None = None,
        counters: dict[str, Any] | None = None,
    ) -> None: ...
    def get_scanned_media(self, locations: Sequence[str]) -> dict[str, ScannedMedia]: ...
    def put_scanned_media(self, records: Sequence[ScannedMedia]) -> None: ...
    def count_scanned_media(self) -> int: ...
    def iter_scanned_hashes(
        self, algorithm: str, batch_size: int = 100_000
    ) -> Iterator[LiveHashes]: ...
    def scanned_media_for_hashes(self, hash_ids: Sequence[int]) -> list[ScannedMedia]: ...
    def entries_added_since(self, since: datetime) -> list[Entry]: ...


class Store(ListStore, EntryStore, ChangeFeed, AuditLog, ScanStore, Protocol):
    url: str

    def transaction(self) -> AbstractContextManager[None]: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...
