"""Video entries: one ``vpdq`` entry per video, its sampled frame hashes beside it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

#: The algorithm name of a video entry.
VIDEO_ALGORITHM = "vpdq"


def fingerprint(frames: Iterable[bytes]) -> bytes:
    """The value of a video entry: SHA-256 of its frame hashes in order (idempotent adds)."""
    digest = hashlib.sha256()
    for value in frames:
        digest.update(value)
    return digest.digest()


@dataclass(frozen=True, slots=True)
class NewVideoFrame:
    index: int
    timestamp: float
    duration: float
    value: bytes
    quality: int
    band: bytes | None = None


@dataclass(frozen=True, slots=True)
class VideoFrame:
    id: int
    entry_id: int
    index: int
    timestamp: float
    duration: float
    value: bytes
    quality: int
    band: bytes | None
