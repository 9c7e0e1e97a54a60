"""The storage extension point: what hashdb needs from a database.

Functions take the narrowest protocol they need; :class:`Store` composes them. The SQL
implementation (``hashdb.store.sql``) serves SQLite and PostgreSQL; a new backend is one
module implementing :class:`Store`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from hashdb.store.exchange import ImportCounts, ImportRow

if TYPE_CHECKING:
    from hashdb.media.thumbnail import Picture
    from hashdb.store.watch import ChangeWatcher

from hashdb.store.models import (
    AddOutcome,
    ApiKey,
    AuditRecord,
    AuditScope,
    Change,
    Entry,
    EntryQuery,
    Feedback,
    HashList,
    Item,
    ItemQuery,
    ListAction,
    ListSettings,
    LiveHashes,
    MatchingMode,
    NewApiKey,
    NewEntry,
    NewList,
    NewReviewItem,
    NewVideoFrame,
    Organisation,
    ReferenceFeatures,
    ReferenceHash,
    ReviewItem,
    ReviewStatus,
    ScanJob,
    ScannedMedia,
    ScanStatus,
    Thumbnail,
    Verdict,
    VideoFrame,
    VideoRule,
    VocabularyTerm,
)
from hashdb.store.plain_import import PlainRows


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
        matching_mode: MatchingMode | None = None,
    ) -> HashList: ...


class EntryStore(Protocol):
    def add_entries(
        self,
        list_id: int,
        entries: Sequence[NewEntry],
        *,
        media: bool = False,
        item_id: int | None = None,
    ) -> list[AddOutcome]:
        """New entries join the item ``item_id``; else with ``media`` they form one media
        item; else each is an item of its own."""
        ...

    def get_entry(self, entry_id: int) -> Entry: ...
    def get_entries(self, entry_ids: Sequence[int]) -> dict[int, Entry]: ...
    def retire_entry(self, entry_id: int, reason: str, retired_by: str | None) -> Entry: ...
    def count_entries(self, list_id: int | None = None, *, live_only: bool = True) -> int: ...


class ItemStore(Protocol):
    """Items: a piece of media or a raw hash, with its hashes; retired and restored whole."""

    def get_item(self, item_id: int) -> Item: ...
    def get_items(self, item_ids: Sequence[int]) -> dict[int, Item]: ...
    def search_items(self, query: ItemQuery) -> list[Item]: ...
    def retire_item(self, item_id: int, reason: str, retired_by: str | None) -> Item: ...
    def restore_item(self, item_id: int) -> Item: ...


class ChangeFeed(Protocol):
    """A monotonically increasing sequence of changes, so caches elsewhere stay fresh."""

    def current_seq(self) -> int: ...
    def changes_since(self, seq: int, limit: int = 10_000) -> list[Change]: ...
    def on_commit(self, listener: Callable[[int], None]) -> None: ...
    def watch(self, interval: float) -> ChangeWatcher: ...
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
        *,
        list_id: int | None = None,
        organisation: str | None = None,
    ) -> None:
        """``list_id`` (else ``organisation``) is what the record concerns, for
        :class:`AuditScope`; a record with neither is for operators only."""
        ...

    def audit_records(
        self,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
        scope: AuditScope | None = None,
    ) -> list[AuditRecord]:
        """Oldest first; ``scope`` limits them to what a reader may see (None: all)."""
        ...


class BulkHashes(Protocol):
    """Live hashes as numpy batches: start-up loads of millions of entries."""

    def live_hash_arrays(self, algorithm: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Batches of (ids int64, hashes (n, width) uint8) of live entries, in id order."""
        ...


class EntryExchange(Protocol):
    """Bulk import and export of entries (``hashdb import`` / ``hashdb export``)."""

    def import_entries(self, list_id: int, rows: Sequence[ImportRow]) -> ImportCounts: ...
    def import_plain(self, list_id: int, rows: PlainRows) -> ImportCounts:
        """Live rows given as columns: same outcome as ``import_entries`` of those rows."""
        ...

    def analyze(self) -> None:
        """Refresh the planner statistics after a bulk load (joins the open transaction)."""
        ...

    def export_entries(
        self, list_ids: Sequence[int] | None, since: datetime | None, *, live_only: bool = False
    ) -> Iterator[Entry]: ...


class KeyStore(Protocol):
    """API keys: stored as a prefix and a SHA-256, never in clear."""

    def create_key(self, new: NewApiKey) -> ApiKey: ...
    def key_by_prefix(self, prefix: str) -> ApiKey | None: ...
    def get_key(self, key_id: int) -> ApiKey: ...
    def list_keys(self, *, include_revoked: bool = True) -> list[ApiKey]: ...
    def revoke_key(self, key_id: int, revoked_by: str | None) -> ApiKey: ...


class CatalogStore(Protocol):
    """What analysts browse and tidy: entry search, relabelling, deleting empty lists."""

    def delete_list(self, name: str) -> HashList: ...
    def update_entry(
        self, entry_id: int, *, label: str | None = None, note: str | None = None
    ) -> Entry: ...
    def search_entries(self, query: EntryQuery) -> list[Entry]: ...


# --- organisations and sharing, labels, review queue, feedback ---


class SharingStore(Protocol):
    def create_organisation(self, name: str, description: str = "") -> Organisation: ...
    def get_organisation(self, name: str) -> Organisation: ...
    def ensure_organisation(self, name: str) -> Organisation: ...
    def organisations(self) -> list[Organisation]: ...
    def list_settings(self, list_id: int) -> ListSettings: ...
    def all_list_settings(self) -> dict[int, ListSettings]: ...
    def save_list_settings(self, settings: ListSettings) -> ListSettings: ...


class LabelStore(Protocol):
    def vocabulary(self) -> list[VocabularyTerm]: ...
    def add_vocabulary(
        self, facet: str, values: Sequence[str], description: str = ""
    ) -> list[VocabularyTerm]: ...
    def remove_vocabulary(self, label: str) -> VocabularyTerm: ...
    def check_labels(self, labels: Iterable[str]) -> tuple[str, ...]: ...
    def set_entry_labels(
        self, entry_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> tuple[str, ...]: ...


class ReviewStore(Protocol):
    def record_near_misses(self, items: Sequence[NewReviewItem]) -> list[int]: ...
    def review_items(
        self,
        *,
        status: ReviewStatus | None = ReviewStatus.PENDING,
        list_ids: Collection[int] | None = None,
        limit: int = 100,
    ) -> list[ReviewItem]: ...
    def get_review_item(self, item_id: int) -> ReviewItem: ...
    def resolve_review_item(
        self,
        item_id: int,
        status: ReviewStatus,
        resolved_by: str | None,
        note: str | None,
        result_entry_ids: Sequence[int] = (),
    ) -> ReviewItem: ...


class FeedbackStore(Protocol):
    def add_feedback(
        self,
        entry_id: int,
        verdict: Verdict,
        reason: str | None,
        principal: str | None,
        organisation: str | None,
    ) -> Feedback: ...
    def feedback_for(self, entry_ids: Sequence[int]) -> dict[int, list[Feedback]]: ...


class VideoStore(Protocol):
    """Frame hashes of video entries, and per-list video match rules."""

    def add_video_frames(self, entry_id: int, frames: Sequence[NewVideoFrame]) -> None: ...
    def video_frames(self, entry_ids: Sequence[int]) -> dict[int, list[VideoFrame]]: ...
    def iter_live_video_frames(self, batch_size: int = 100_000) -> Iterator[list[VideoFrame]]: ...
    def video_rules(self) -> dict[int, VideoRule]: ...
    def set_video_rule(self, list_id: int, rule: VideoRule) -> None: ...


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


class ReferenceFeatureStore(Protocol):
    """Reference-side data for robust matching of media entries."""

    def add_reference_data(
        self,
        entry_id: int,
        features: ReferenceFeatures,
        hashes: Sequence[tuple[str, str, bytes]],
    ) -> bool: ...
    def reference_features(self, entry_ids: Sequence[int]) -> dict[int, ReferenceFeatures]: ...
    def reference_hashes(self, entry_ids: Sequence[int] | None = None) -> list[ReferenceHash]: ...


class ThumbnailStore(Protocol):
    """The small pictures the console shows: of uploads with their review items (resolving
    an item deletes its thumbnail), of references with their items on opted-in lists."""

    def keep_upload_thumbnails(self, review_item_ids: Sequence[int], picture: Picture) -> int: ...
    def keep_item_thumbnail(self, item_id: int, picture: Picture) -> bool: ...
    def adopt_upload_thumbnail(self, review_item_id: int, item_id: int) -> bool: ...
    def get_thumbnail(self, thumbnail_id: int) -> Thumbnail: ...
    def thumbnail_data(self, thumbnail_id: int) -> bytes: ...
    def review_thumbnails(self, review_item_ids: Sequence[int]) -> dict[int, Thumbnail]: ...
    def item_thumbnails(self, item_ids: Sequence[int]) -> dict[int, Thumbnail]: ...
    def delete_list_thumbnails(self, list_id: int) -> int: ...
    def purge_thumbnails(self, kept_before: datetime) -> dict[int, int]: ...


class Store(
    ListStore,
    EntryStore,
    ItemStore,
    ChangeFeed,
    AuditLog,
    BulkHashes,
    EntryExchange,
    KeyStore,
    CatalogStore,
    SharingStore,
    LabelStore,
    ReviewStore,
    FeedbackStore,
    VideoStore,
    ScanStore,
    ReferenceFeatureStore,
    ThumbnailStore,
    Protocol,
):
    url: str

    def transaction(self) -> AbstractContextManager[None]: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class AsyncEntryReads(Protocol):
    """A store whose entries an asyncio event loop can await without a thread (PostgreSQL,
    whose reads wait on the network; a SQLite file's reads never wait)."""

    async def read_entries_async(self, entry_ids: Sequence[int]) -> dict[int, Entry]: ...
