"""Review-queue items: near-misses of a list's review radius, waiting for an analyst."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"  # promoted to entries on a list
    DISMISSED = "dismissed"  # not the listed media; nothing added
    ALLOWED = "allowed"  # added to an allow list as a known false positive


@dataclass(frozen=True, slots=True)
class QueryHash:
    algorithm: str
    hash: str
    quality: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "hash": self.hash, "quality": self.quality}


@dataclass(frozen=True, slots=True)
class NewReviewItem:
    list_id: int
    entry_id: int
    algorithm: str
    query_hash: bytes
    query_hashes: tuple[QueryHash, ...]
    distance: int
    threshold: int
    review_radius: int
    platform: str | None
    organisation: str | None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: int
    list_id: int
    list_name: str
    entry_id: int
    algorithm: str
    query_hash: bytes
    query_hashes: tuple[QueryHash, ...]
    distance: int
    threshold: int
    review_radius: int
    status: ReviewStatus
    platform: str | None
    organisation: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    seen_count: int
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None
    result_entry_ids: tuple[int, ...]
    #: The item of the entry it nearly matched.
    item_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "list": self.list_name,
            "entry_id": self.entry_id,
            "item_id": self.item_id,
            "algorithm": self.algorithm,
            "query_hash": self.query_hash.hex(),
            "distance": self.distance,
            "threshold": self.threshold,
            "review_radius": self.review_radius,
            "hashes": [query.to_dict() for query in self.query_hashes],
            "platform": self.platform,
            "organisation": self.organisation,
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "seen_count": self.seen_count,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "resolved_by": self.resolved_by,
            "resolution_note": self.resolution_note,
            "result_entry_ids": list(self.result_entry_ids),
        }
