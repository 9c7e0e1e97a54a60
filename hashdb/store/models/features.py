"""Reference-side data of robust matching: variant hashes and geometric features of media
entries (raw partner hashes have neither)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReferenceHash:
    """One extra hash standing for an entry: ``variant`` names the edit (e.g. ``crop-tl-76``)."""

    id: int
    entry_id: int
    variant: str
    algorithm: str
    value: bytes


@dataclass(frozen=True, slots=True)
class ReferenceFeatures:
    """ORB keypoints (float32 x, y pairs) and descriptors (32 bytes each) of a reference in a
    ``width`` x ``height`` frame, plus a grayscale thumbnail for the aligned-content check."""

    width: int
    height: int
    keypoints: bytes
    descriptors: bytes
    thumb_width: int
    thumb_height: int
    thumbnail: bytes
