"""Items: a piece of media (or a raw hash added alone) and its hashes."""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.models.common import RequestBody

_LABEL = Field(default=None, max_length=500, description="Label, e.g. the group or campaign.")
_NOTE = Field(default=None, max_length=10_000, description="Why it is listed.")


class ItemHashPublic(BaseModel):
    entry_id: int
    algorithm: str
    hash: str
    quality: int | None
    retired_at: str | None
    retired_reason: str | None


class ItemPublic(BaseModel):
    item_id: int
    list: str
    kind: str = Field(description="media (an image or a video) or hash (a raw hash alone)")
    source_sha256: str | None
    organisation: str | None
    added_by: str | None
    source: str | None
    created_at: str
    retired_at: str | None
    retired_reason: str | None
    retired_by: str | None
    label: str | None
    note: str | None
    labels: builtins.list[str]
    hashes: builtins.list[ItemHashPublic]


class FeedbackCountsPublic(BaseModel):
    agree: int
    disagree: int


class ItemDetailPublic(ItemPublic):
    feedback: FeedbackCountsPublic = Field(description="Latest verdicts on any of its hashes.")
    audit: builtins.list[dict[str, Any]] = Field(description="Its audit trail, oldest first.")


class ItemPage(BaseModel):
    items: list[ItemPublic]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end.")


class ItemUpdate(RequestBody):
    """Only the fields sent change, on every hash of the item."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = _LABEL
    note: str | None = _NOTE
