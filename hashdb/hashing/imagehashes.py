"""64-bit DCT (pHash) and difference (dHash) hashes from the ``imagehash`` package."""

from __future__ import annotations

from typing import TYPE_CHECKING

import imagehash
import numpy as np

from hashdb.hashing.base import Digest, HashAlgorithm

if TYPE_CHECKING:
    from hashdb.media.image import PreparedImage


def _bool_array_to_bytes(bits: np.ndarray) -> bytes:
    # Same bit order as str(imagehash.ImageHash): row-major, first bit most significant.
    return np.packbits(bits.flatten().astype(np.uint8)).tobytes()


class PHash(HashAlgorithm):
    name = "phash"
    bits = 64
    default_threshold = 10
    enabled_by_default = False
    description = "imagehash pHash (DCT), 64 bits; only matches on lists that enable it."

    def compute(self, media: PreparedImage) -> Digest:
        return Digest(self.name, _bool_array_to_bytes(imagehash.phash(media.gray).hash))


class DHash(HashAlgorithm):
    name = "dhash"
    bits = 64
    default_threshold = 10
    enabled_by_default = False
    description = "imagehash dHash (row gradients), 64 bits; only matches on lists that enable it."

    def compute(self, media: PreparedImage) -> Digest:
        return Digest(self.name, _bool_array_to_bytes(imagehash.dhash(media.gray).hash))
