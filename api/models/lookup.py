from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.models.common import RequestBody
from api.models.hashes import HashIn
from api.schemas import MatchModel

MAX_LOOKUP_HASHES = 1000


class LookupRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")

    hashes: list[HashIn] = Field(
        min_length=1,
        max_length=MAX_LOOKUP_HASHES,
        description=f"Up to {MAX_LOOKUP_HASHES} hashes computed on the caller's side.",
    )
    lists: list[str] | None = Field(
        default=None, max_length=100, description="Only match these lists (default: all)."
    )


class LookupResult(BaseModel):
    algorithm: str
    value: str = Field(description="The queried hash, lowercase hex.")
    matched: bool
    matches: list[MatchModel]


class LookupResponse(BaseModel):
    results: list[LookupResult] = Field(description="One result per queried hash, in order.")
