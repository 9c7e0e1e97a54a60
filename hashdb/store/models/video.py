"""Video entries: one ``vpdq`` entry per video, its sampled frame hashes beside it."""

from __future__ import annotations

from dataclasses import dataclass


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
