"""One typed settings object. Environment variables use the ``HASHDB_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HASHDB_", extra="ignore")

    db: str = Field(
        default="hashdb.sqlite",
        description="SQLite file path or postgresql:// URL of the hash database.",
    )
    max_pixels: int = Field(
        default=80_000_000,
        ge=1,
        description="Images with more pixels are refused as decompression bombs.",
    )
    min_side: int = Field(
        default=16, ge=1, description="Images narrower or shorter than this are too small to hash."
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1, description="Largest accepted upload/file in bytes."
    )
    decode_size: int = Field(
        default=512,
        ge=64,
        description=(
            "JPEGs are decoded at a reduced scale that keeps both sides at least this many "
            "pixels (Pillow draft mode); 0 disables it."
        ),
    )
    min_pdq_quality: int = Field(
        default=50, ge=0, le=100, description="PDQ hashes below this quality are refused on add."
    )
    refresh_interval: float = Field(
        default=0.0,
        ge=0,
        description=(
            "Seconds between checks for changes written by other processes; 0 checks the "
            "change sequence (one indexed query) before every match, so nothing is stale."
        ),
    )
    auth: bool = Field(
        default=True,
        description=(
            "Require an API key (Authorization: Bearer KEY) on every API request. "
            "false is for local development only: every caller is then an admin."
        ),
    )
    default_sharing: Literal["private", "shared-read", "shared-write"] = Field(
        default="shared-read",
        description=(
            "Sharing of a list an organisation creates without saying: private, shared-read "
            "(every member matches it, only the owner writes) or shared-write."
        ),
    )
    auth_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description=(
            "How long a checked API key is trusted without asking the database again; a "
            "revocation reaches other processes within this time (0: check every request)."
        ),
    )
    host: str = "127.0.0.1"
    port: int = 8000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
