"""One typed settings object. Environment variables use the ``HASHDB_`` prefix."""

from __future__ import annotations

from functools import lru_cache

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
        default=0.2,
        ge=0,
        description="Seconds between checks for changes written by other processes.",
    )
    robust_matching: bool = Field(
        default=True,
        description=(
            "Match media robustly (mirrors, rotations, trimmed bars, screenshot regions, "
            "reference crops, confirmed by keypoints); false gives plain hash matching."
        ),
    )
    robust_min_query_quality: int = Field(
        default=50,
        ge=0,
        le=100,
        description="Media whose PDQ quality is below this never match on a perceptual hash alone.",
    )
    robust_candidate_distance: int = Field(
        default=76,
        ge=0,
        le=128,
        description="PDQ radius of the loose first stage whose candidates keypoints must confirm.",
    )
    robust_max_candidates: int = Field(
        default=3, ge=0, description="Candidates the geometric check examines per upload."
    )
    robust_hash_only_distance: int = Field(
        default=24,
        ge=0,
        le=128,
        description=(
            "A mirrored/rotated/trimmed variant matches an entry without keypoints (a raw "
            "hash) on hash alone only within this PDQ distance."
        ),
    )
    robust_exhaustive: bool = Field(
        default=False,
        description=(
            "Run the robust stages even when the upload's own perceptual hash already "
            "matched (finds every matching entry, at a higher cost)."
        ),
    )
    host: str = "127.0.0.1"
    port: int = 8000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
