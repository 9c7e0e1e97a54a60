"""Response models: they document the API in OpenAPI and pin its JSON shape."""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import BaseModel, Field


class VerificationModel(BaseModel):
    """What the geometric check saw, and where: points are fractions (0-1) of the upload's
    width and height, or of the reference's."""

    inliers: int = Field(description="Keypoint pairs that agree on one transform.")
    agreement: float = Field(description="Share of informative tiles whose content agrees.")
    tiles: int = Field(description="Informative tiles compared.")
    score: float | None = Field(
        default=None, description="Aligned content check: 1 - the share of cells that differ."
    )
    differing: int | None = Field(
        default=None, description="Aligned content check: cells that differ."
    )
    transform: builtins.list[float] | None = Field(
        default=None,
        description=(
            "[a, b, c, d, e, f]: a reference point (u, v) lies on the upload at "
            "(a*u + b*v + c, d*u + e*v + f)."
        ),
    )
    region: builtins.list[builtins.list[float]] | None = Field(
        default=None, description="The reference's corners on the upload: the matched region."
    )
    lines: builtins.list[builtins.list[float]] | None = Field(
        default=None,
        description="A sample of the inlier pairs: [upload x, upload y, reference x, reference y].",
    )
    reference_size: builtins.list[int] | None = Field(
        default=None, description="Width and height of the reference picture the check used."
    )


class MatchModel(BaseModel):
    list: str = Field(description="Name of the list the entry is on.")
    entry_id: int
    item_id: int | None = Field(
        default=None, description="The item (media or raw hash) the entry belongs to."
    )
    algorithm: str
    distance: int = Field(description="Hamming distance in bits (0 for exact hashes).")
    threshold: int = Field(description="The list's threshold for this algorithm.")
    label: str | None
    action: str = Field(description="block, review or log")
    note: str | None
    added_by: str | None
    added_at: str
    query_hash: str
    entry_hash: str
    source_sha256: str | None
    labels: builtins.list[str] = Field(default=[], description="Controlled labels, FACET:VALUE.")
    organisation: str | None = Field(default=None, description="Who added the entry.")
    source: str | None = Field(default=None, description="Where its media came from.")
    video: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Only for matches involving a video: direction (video, image_in_video, "
            "video_shows_image), query_share/reference_share of time and the list's minimums, "
            "mirrored, region (frame or band) and the matched time ranges in seconds."
        ),
    )
    stage: str = Field(
        default="hash",
        description=(
            "hash: the index lookup alone; geometric: a looser hash candidate confirmed by "
            "keypoints and aligned content (distance is then the candidate's, threshold the "
            "first-stage radius)."
        ),
    )
    variant: str = Field(
        default="original",
        description=(
            "Which variant matched: original, a query edit (mirror-h, rotate-90, trim, "
            "region-0, ...), or for geometric matches query variant>reference variant."
        ),
    )
    verification: VerificationModel | None = Field(
        default=None, description="The geometric check's evidence, for geometric matches."
    )


class SuppressedModel(MatchModel):
    allowed_by: builtins.list[int] = Field(
        description="The allow entries that suppressed this match."
    )


class MediaModel(BaseModel):
    format: str
    width: int
    height: int
    bytes: int
    kind: str | None = Field(default=None, description='"video" for videos.')
    codec: str | None = None
    duration: float | None = Field(default=None, description="Seconds (videos).")
    frames: int | None = Field(default=None, description="Sampled frames hashed (videos).")
    decoded_frames: int | None = None
    sampling: str | None = Field(default=None, description="fps or keyframes (videos).")
    decode_error: str | None = Field(
        default=None, description="Set when a video was corrupt or truncated part-way."
    )


class MatchResponse(BaseModel):
    matched: bool
    matches: list[MatchModel]
    hashes: dict[str, str | int | None] = Field(
        description="The media's hashes by algorithm (lowercase hex) and pdq_quality."
    )
    media: MediaModel
    allowed: bool = Field(
        default=False, description="The media matched an allow list: nothing else is reported."
    )
    allowed_by: list[MatchModel] = Field(default=[], description="The allow-list matches.")
    suppressed: list[SuppressedModel] = Field(
        default=[], description="Matches the allow entries overruled, each naming them."
    )


class Health(BaseModel):
    status: str
