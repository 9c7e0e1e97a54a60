from __future__ import annotations

import builtins

from pydantic import BaseModel, ConfigDict, Field

from api.models.common import RequestBody
from api.models.hashes import HashIn

_LABEL = Field(default=None, max_length=500, description="Label, e.g. the group or campaign.")
_NOTE = Field(default=None, max_length=10_000, description="Why it is listed.")


class HashesCreate(RequestBody):
    """Raw hashes from a partner, added to one list with shared provenance."""

    model_config = ConfigDict(extra="forbid")

    hashes: list[HashIn] = Field(min_length=1, max_length=10_000)
    label: str | None = _LABEL
    note: str | None = _NOTE
    source_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{64}$",
        description="SHA-256 of the media the hashes were computed from, if known.",
    )
    force: bool = Field(default=False, description="Also add degenerate or low-quality hashes.")


class EntryPublic(BaseModel):
    entry_id: int
    item_id: int | None = Field(description="The item (media or raw hash) it belongs to.")
    list: str
    algorithm: str
    hash: str
    quality: int | None
    label: str | None
    note: str | None
    added_by: str | None
    added_at: str
    source_sha256: str | None
    retired_at: str | None
    retired_reason: str | None
    retired_by: str | None


class EntryPage(BaseModel):
    entries: list[EntryPublic]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end.")


class EntryUpdate(RequestBody):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = _LABEL
    note: str | None = _NOTE


class RetireRequest(RequestBody):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=10_000, description="Why (required).")


class AddedHashModel(BaseModel):
    algorithm: str
    hash: str
    entry_id: int
    item_id: int | None
    created: bool


class RefusalModel(BaseModel):
    algorithm: str
    hash: str
    code: str
    reason: str


class AddReportModel(BaseModel):
    added: list[AddedHashModel]
    refused: list[RefusalModel]
    list: str
    created: int
    existing: int
    item_ids: builtins.list[int] = Field(description="The items the hashes belong to.")
