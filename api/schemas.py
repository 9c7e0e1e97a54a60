"""Response models: they document the API in OpenAPI and pin its JSON shape."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MatchModel(BaseModel):
    list: str = Field(description="Name of the list the entry is on.")
    entry_id: int
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
    verification: dict[str, float | int] | None = Field(
        default=None, description="The geometric check's evidence: inliers, agreement, tiles."
    )


class MediaModel(BaseModel):
    format: str
    width: int
    height: int
    bytes: int


class MatchResponse(BaseModel):
    matched: bool
    matches: list[MatchModel]
    hashes: dict[str, str | int | None] = Field(
        description="The media's hashes by algorithm (lowercase hex) and pdq_quality."
    )
    media: MediaModel


class Health(BaseModel):
    status: str
