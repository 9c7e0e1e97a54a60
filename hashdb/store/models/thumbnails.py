"""Thumbnails: the only pixels hashdb keeps, small and only where an analyst needs them.

An **upload** thumbnail is kept with the review item a near-miss made, until the item is
resolved or the retention period ends; a **reference** thumbnail is kept with a media item on
a list that opted in (:attr:`ListSettings.keep_thumbnails`), for as long as the item is kept
and the list keeps thumbnails.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Thumbnail", "ThumbnailKind"]


class ThumbnailKind(enum.StrEnum):
    #: Of media a platform matched, kept with its review item (it expires).
    UPLOAD = "upload"
    #: Of media added to a list that keeps thumbnails, kept with its item.
    REFERENCE = "reference"


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A kept thumbnail, without its bytes (:meth:`thumbnail_data` reads them)."""

    id: int
    kind: ThumbnailKind
    list_id: int
    review_item_id: int | None
    item_id: int | None
    content_type: str
    width: int
    height: int
    frames: int
    created_at: datetime

    @property
    def video(self) -> bool:
        return self.frames > 1
