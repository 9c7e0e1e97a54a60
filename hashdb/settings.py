"""One typed settings object. Environment variables use the ``HASHDB_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HASHDB_", extra="forbid")

    db: str = Field(
        default="hashdb.sqlite",
        description="SQLite file path or postgresql:// URL of the hash database.",
    )
    max_pixels: int = Field(
        default=80_000_000,
        ge=1,
        description="Images with more pixels are refused as decompression bombs.",
    )
    decode_pixel_budget: int = Field(
        default=100_000_000,
        ge=1,
        description=(
            "Pixels one process decodes at once, across its requests (about 4 bytes each "
            "while an image is decoded at full size): a decode that does not fit waits for "
            "the ones running, so concurrent large images cannot exhaust memory."
        ),
    )
    min_side: int = Field(
        default=16, ge=1, description="Images narrower or shorter than this are too small to hash."
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1, description="Largest accepted image upload/file in bytes."
    )
    max_json_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest request body of an API route that takes JSON or no body (every route "
            "but media uploads and imports), refused from its Content-Length before reading."
        ),
    )
    max_import_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024,
        description="Largest file accepted by POST /v1/import (streamed to a temporary file).",
    )
    decode_size: int = Field(
        default=512,
        ge=64,
        description=(
            "Images are hashed from a decode reduced so that both sides stay at least this "
            "many pixels (JPEG: Pillow draft mode; a JPEG decoded reduced is decoded smaller "
            "still where PDQ would halve its pixels, so a 1080p JPEG is hashed from 480x270 "
            "either way). 256 also halves JPEGs 512 to 1023 pixels on the short side (a "
            "1280x720 screenshot): faster, but loses one screenshot case in 50; the robust "
            "stage still decodes at 512 (docs/performance.md)."
        ),
    )
    min_pdq_quality: int = Field(
        default=50, ge=0, le=100, description="PDQ hashes below this quality are refused on add."
    )
    refresh_interval: float = Field(
        default=0.25,
        ge=0,
        description=(
            "How stale a match may be, in seconds, after another process writes: a background "
            "thread follows the change sequence (PostgreSQL: LISTEN/NOTIFY, woken at once; "
            "SQLite: read every interval), so a request when nothing changed costs no query. "
            "This process's own writes count at once. 0 reads the change sequence on every "
            "request instead (one indexed query), so nothing is ever stale."
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
            "How long a checked API key is trusted without asking the database again, at "
            "most: any change to the database (a revocation is one) ends the trust as soon as "
            "this process learns of it (see refresh_interval). 0: check every request."
        ),
    )
    metrics_require_key: bool = Field(
        default=False,
        description=(
            "Require an API key (any role) on /metrics. Off by default so that a scraper "
            "needs none: the metrics name no list and hold nothing private."
        ),
    )
    thumbnail_retention_days: float = Field(
        default=30.0,
        ge=0,
        description=(
            "Days a near-miss keeps the small thumbnail of its upload for the console, unless "
            "its review item is resolved first (which deletes it). 0 keeps no upload "
            "thumbnail. Reference thumbnails are kept only on lists that opt in."
        ),
    )
    # --- video ---
    video_mode: Literal["fps", "keyframes"] = Field(
        default="fps",
        description=(
            "How query videos are sampled: 'fps' (every keyframe plus at most "
            "video_fps frames per second) or 'keyframes' (keyframes only: the encoder's scene "
            "cuts and periodic keyframes; several times cheaper)."
        ),
    )
    video_fps: float = Field(
        default=1.0, gt=0, le=60, description="Sampled frames per second of a query video."
    )
    video_reference_fps: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description=(
            "Sampled frames per second of a video added to a list: dense, so that a still "
            "grabbed at any moment lands near a stored frame."
        ),
    )
    video_reference_coarse_fps: float = Field(
        default=2.5,
        ge=0,
        le=60,
        description=(
            "A video added to a list is hashed at this rate first; the frames sampled at "
            "video_reference_fps between two are hashed, by halving, only where the picture "
            "changes (hashed neighbours more than twice video_dedupe_distance bits apart). "
            "0 hashes every sampled frame."
        ),
    )
    video_dedupe_distance: int = Field(
        default=8,
        ge=-1,
        le=64,
        description="A frame within this many PDQ bits of the last kept one is skipped.",
    )
    video_frame_size: int = Field(
        default=512, ge=64, description="Frames are scaled to this long side before hashing."
    )
    video_frame_threads: bool = Field(
        default=False,
        description=(
            "Decode each video on several cores (lower latency for one long video, more CPU "
            "in total); off, each video takes one core and uploads run in parallel."
        ),
    )
    video_max_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=1,
        description=(
            "Largest accepted video file/upload in bytes (MP4, MOV, WebM, MKV, AVI; animated "
            "GIF/WebP count as images for this limit)."
        ),
    )
    video_max_duration: float = Field(
        default=3600.0, gt=0, description="Longer videos are refused (seconds)."
    )
    video_max_frames: int = Field(
        default=200_000, ge=1, description="Decoding stops after this many decoded frames."
    )
    video_min_query_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description=(
            "Default share of the query video's time that must match frames of a known video "
            "(lists can set their own)."
        ),
    )
    video_min_reference_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description=(
            "Default share of the known video's time the query must cover; 0 lets a short "
            "clip of a long video match."
        ),
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
    robust_keypoint_votes: int = Field(
        default=12,
        ge=0,
        description=(
            "When no PDQ candidate is confirmed, references with this many keypoint votes "
            "from the upload are checked geometrically; 0 turns the keypoint stage off."
        ),
    )
    robust_keypoint_gate: int = Field(
        default=84,
        ge=0,
        le=256,
        description=(
            "The keypoint stage runs only for uploads with some PDQ variant within this "
            "distance of a reference row (256: for every upload); most unrelated uploads "
            "are further, and skip its cost."
        ),
    )
    robust_exhaustive: bool = Field(
        default=False,
        description=(
            "Run the robust stages even when the upload's own perceptual hash already "
            "matched (finds every matching entry, at a higher cost)."
        ),
    )
    console_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Key that signs the analyst console's session cookies (32+ random characters). "
            "Unset, `hashdb serve` makes one per start: signing in again is then needed "
            "after a restart."
        ),
    )
    console_session_hours: float = Field(
        default=8.0,
        gt=0,
        le=24 * 30,
        description="How long a console sign-in lasts before the key must be entered again.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    # --- serving (hashdb serve) ---
    http_header_timeout: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds a client has to send a request's headers, from the connection's opening "
            "(or the previous answer); a slower one is disconnected."
        ),
    )
    http_keep_alive: float = Field(
        default=5.0, gt=0, description="Seconds an idle kept-alive connection stays open."
    )
    http_max_header_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request line and headers a client may send, in bytes (431 beyond).",
    )
    http_limit_concurrency: int = Field(
        default=1000,
        ge=1,
        description=(
            "Connections and requests one worker process serves at once; beyond it new "
            "requests are answered 503 at once instead of queueing without bound."
        ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
