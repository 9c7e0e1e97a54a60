from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.models.common import RequestBody
from hashdb.store import ListAction, MatchingMode

_MODE = (
    "Which stages may match: exact (MD5/SHA-256 only), hash (also perceptual hashes within "
    "the thresholds) or robust (also edited copies confirmed geometrically)."
)


class ListCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^/\s][^/]*$")
    description: str = Field(default="", max_length=10_000)
    action: ListAction = ListAction.BLOCK
    thresholds: dict[str, int] | None = Field(
        default=None,
        description="Algorithm -> inclusive Hamming threshold (default: PDQ 31, MD5, SHA-256).",
        examples=[{"pdq": 31, "md5": 0, "sha256": 0}],
    )
    matching_mode: MatchingMode = Field(default=MatchingMode.ROBUST, description=_MODE)


class ListUpdate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=10_000)
    action: ListAction | None = None
    thresholds: dict[str, int] | None = Field(
        default=None, description="Replaces the whole set of thresholds."
    )
    matching_mode: MatchingMode | None = Field(default=None, description=_MODE)


class ListPublic(BaseModel):
    name: str
    description: str
    action: ListAction
    thresholds: dict[str, int]
    matching_mode: MatchingMode = Field(description=_MODE)
    live_entries: int
    created_at: str
    updated_at: str
