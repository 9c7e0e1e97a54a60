from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.models.common import RequestBody
from hashdb.identity import Role


class KeyCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Who or what uses the key.")
    role: Role = Field(description="platform (match, lookup), analyst (+ lists), admin (+ keys).")
    organisation: str | None = Field(default=None, max_length=200)


class KeyPublic(BaseModel):
    id: int
    name: str
    role: Role
    organisation: str | None
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    created_at: str
    created_by: str | None
    revoked_at: str | None
    revoked_by: str | None


class KeyCreated(KeyPublic):
    key: str = Field(description="The API key. Shown this once; only its hash is stored.")
