"""PDQ, Meta's 256-bit perceptual hash with a 0-100 quality score (through ``pdqhash``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pdqhash

from hashdb.hashing.base import Digest, HashAlgorithm

if TYPE_CHECKING:
    from hashdb.media.image import PreparedImage


def pdq_vector_to_bytes(vector: np.ndarray) -> bytes:
    """``pdqhash`` returns one int per bit, first bit most significant (ThreatExchange hex)."""
    return np.packbits(vector.astype(np.uint8)).tobytes()


class PDQ(HashAlgorithm):
    name = "pdq"
    bits = 256
    default_threshold = 31
    description = "Meta PDQ, 256 bits, quality 0-100; ThreatExchange hex."

    def compute(self, media: PreparedImage) -> Digest:
        vector, quality = pdqhash.compute(media.pdq_array)
        return Digest(self.name, pdq_vector_to_bytes(vector), int(quality))
