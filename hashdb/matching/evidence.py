"""What a video match adds to a :class:`~hashdb.matching.Match`: shares and time ranges.

Plain values with no dependencies, so ``hashdb.matching.indexes`` can carry them without importing
the video machinery.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Direction(enum.StrEnum):
    #: A query video against a known video.
    VIDEO = "video"
    #: A query image (a still, a screenshot) against the frames of a known video.
    IMAGE_IN_VIDEO = "image_in_video"
    #: A query video against a known image (a poster shown in a clip).
    VIDEO_SHOWS_IMAGE = "video_shows_image"


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A matched stretch: seconds in the query and in the known video (None for an image)."""

    query_start: float | None
    query_end: float | None
    reference_start: float | None
    reference_end: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "query_start": self.query_start,
            "query_end": self.query_end,
            "reference_start": self.reference_start,
            "reference_end": self.reference_end,
        }


@dataclass(frozen=True, slots=True)
class VideoEvidence:
    direction: Direction
    #: Frames (query frames, or reference frames for an image query) within the threshold.
    matched_frames: int
    ranges: list[TimeRange] = field(default_factory=list)
    #: Share of the query video's hashable time that matched (video queries).
    query_share: float | None = None
    #: Share of the known video's hashable time that the query covered (video entries).
    reference_share: float | None = None
    min_query_share: float | None = None
    min_reference_share: float | None = None
    #: The match was found on the left-right mirror of the query.
    mirrored: bool = False
    #: Which hash matched best: "frame" (whole frame) or "band" (captions cut off).
    region: str = "frame"

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction.value,
            "matched_frames": self.matched_frames,
            "query_share": self.query_share,
            "reference_share": self.reference_share,
            "min_query_share": self.min_query_share,
            "min_reference_share": self.min_reference_share,
            "mirrored": self.mirrored,
            "region": self.region,
            "ranges": [time_range.to_dict() for time_range in self.ranges],
        }
