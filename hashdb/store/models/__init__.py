"""The records the store reads and writes, and the domain rules that come with them.

Plain frozen dataclasses and enums: no ORM state leaks out, and the faces (API, CLI) import
these types from here, never from the SQL modules that store them.
"""

from __future__ import annotations

from hashdb.store.models.entries import AddOutcome, Entry, EntryQuery, LiveHashes, NewEntry
from hashdb.store.models.features import ReferenceFeatures, ReferenceHash
from hashdb.store.models.feedback import Feedback, FeedbackCounts, Verdict, count_latest
from hashdb.store.models.items import Item, ItemKind, ItemQuery, ItemScope
from hashdb.store.models.keys import ApiKey, NewApiKey
from hashdb.store.models.labels import (
    VocabularyTerm,
    normalise_labels,
    parse_facet,
    parse_label,
    parse_value,
)
from hashdb.store.models.lists import (
    HashList,
    ListAction,
    ListSettings,
    MatchingMode,
    NewList,
    Organisation,
    Sharing,
    VideoRule,
    clean_name,
    default_thresholds,
    validate_thresholds,
)
from hashdb.store.models.log import (
    AUDIT_TARGETS,
    PUBLIC_AUDIT_TARGETS,
    AuditRecord,
    AuditScope,
    Change,
    ChangeKind,
)
from hashdb.store.models.review import NewReviewItem, QueryHash, ReviewItem, ReviewStatus
from hashdb.store.models.scans import ScanJob, ScannedMedia, ScanStatus, StoredHash
from hashdb.store.models.thumbnails import Thumbnail, ThumbnailKind
from hashdb.store.models.video import NewVideoFrame, VideoFrame

__all__ = [
    "AUDIT_TARGETS",
    "PUBLIC_AUDIT_TARGETS",
    "AddOutcome",
    "ApiKey",
    "AuditRecord",
    "AuditScope",
    "Change",
    "ChangeKind",
    "Entry",
    "EntryQuery",
    "Feedback",
    "FeedbackCounts",
    "HashList",
    "Item",
    "ItemKind",
    "ItemQuery",
    "ItemScope",
    "ListAction",
    "ListSettings",
    "LiveHashes",
    "MatchingMode",
    "NewApiKey",
    "NewEntry",
    "NewList",
    "NewReviewItem",
    "NewVideoFrame",
    "Organisation",
    "QueryHash",
    "ReferenceFeatures",
    "ReferenceHash",
    "ReviewItem",
    "ReviewStatus",
    "ScanJob",
    "ScanStatus",
    "ScannedMedia",
    "Sharing",
    "StoredHash",
    "Thumbnail",
    "ThumbnailKind",
    "Verdict",
    "VideoFrame",
    "VideoRule",
    "VocabularyTerm",
    "clean_name",
    "count_latest",
    "default_thresholds",
    "normalise_labels",
    "parse_facet",
    "parse_label",
    "parse_value",
    "validate_thresholds",
]
