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
