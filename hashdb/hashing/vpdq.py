"""The value of a video entry (``vpdq``): a fingerprint of its frame hashes.

A video is matched by its frames (``hashdb.matching.video``); the entry's own value only has
to identify the same sampled frames again, so that adding a video twice is idempotent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

#: The algorithm name of a video entry.
VIDEO_ALGORITHM = "vpdq"


def fingerprint(frames: Iterable[bytes]) -> bytes:
    """SHA-256 of the frame hashes in order."""
    digest = hashlib.sha256()
    for value in frames:
        digest.update(value)
    return digest.digest()
