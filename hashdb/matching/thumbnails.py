"""Upload thumbnails of near-misses, and their retention.

A near-miss keeps a small picture of the upload with its review item, so the analyst who
decides sees what was matched; nothing else of an upload is kept. The picture goes when the
item is resolved, or once ``thumbnail_retention_days`` have passed since it was kept: each
write to the review queue purges what has expired, and ``hashdb review purge`` does on demand.
A retention of 0 keeps no upload thumbnail at all.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from hashdb.errors import MediaError
from hashdb.hashing.media import HashedMedia
from hashdb.media.thumbnail import Picture
from hashdb.settings import Settings
from hashdb.store import Store
from hashdb.store.rows import utcnow

log = logging.getLogger(__name__)

#: Who the audit log names for a purge made while recording near-misses.
RETENTION_ACTOR = "hashdb (thumbnail retention)"


def upload_thumbnail(media: HashedMedia | None, settings: Settings) -> Picture | None:
    """The thumbnail a near-miss of ``media`` keeps (None: hashes alone, or none kept)."""
    if media is None or settings.thumbnail_retention_days <= 0:
        return None
    try:
        return media.thumbnail()
    except (MediaError, OSError, ValueError) as exc:
        # The near-miss is still recorded, with its hashes: a picture is a help, not a need.
        log.warning("no thumbnail for a near-miss: %s", exc)
        return None


def purge_expired(store: Store, settings: Settings, actor: str, now: datetime | None = None) -> int:
    """Delete upload thumbnails older than the retention period (all of them at 0) or whose
    review item was resolved, with one audit record per list; how many were deleted. Joins
    the caller's transaction."""
    kept_before = (now or utcnow()) - timedelta(days=settings.thumbnail_retention_days)
    with store.transaction():
        deleted = store.purge_thumbnails(kept_before)
        for list_id, count in sorted(deleted.items()):
            store.record_audit(
                actor,
                "thumbnails.purge",
                "thumbnails",
                None,
                after={
                    "deleted": count,
                    "kept_before": kept_before.isoformat(),
                    "retention_days": settings.thumbnail_retention_days,
                },
                list_id=list_id,
            )
    return sum(deleted.values())
