"""Records of bulk rescans: scan jobs (checkpointed progress) and the media-hash store."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ScanStatus(enum.StrEnum):
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class ScanJob:
    """One rescan: what it was asked to do and how far it got at its last checkpoint.

    ``last_key`` is the walk-order key of the last file whose result was written before the
    checkpoint (``None`` before the first one); ``output_bytes`` is the size of the output
    file at that moment, so a resume can cut off anything written after it.
    """

    id: int
    status: ScanStatus
    params: dict[str, Any]
    owner: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    done: int
    last_key: list[Any] | None
    output_bytes: int | None
    counters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredHash:
    """One hash of a scanned file. ``position_ms`` places a video frame hash; None for stills."""

    algorithm: str
    value: bytes
    quality: int | None = None
    position_ms: int | None = None


@dataclass(frozen=True, slots=True)
class ScannedMedia:
    """A file seen by a rescan with ``--store-hashes``: where it is, its identity, its hashes."""

    location: str
    size_bytes: int
    mtime_ns: int
    sha256: str | None
    format: str
    width: int
    height: int
    hashes: list[StoredHash]
    job_id: int | None = None
    scanned_at: datetime | None = None
