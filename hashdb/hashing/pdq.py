"""PDQ, Meta's 256-bit perceptual hash with a 0-100 quality score (through ``pdqhash``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from hashdb.hashing.base import Digest, HashAlgorithm

if TYPE_CHECKING:
    import numpy as np

    from hashdb.media.image import PreparedImage

# numpy and pdqhash load on first hash, not on import: the command line lists algorithms and
# parses hashes without them.


def pdq_vector_to_bytes(vector: np.ndarray) -> bytes:
    """``pdqhash`` returns one int per bit, first bit most significant (ThreatExchange hex)."""
    import numpy as np

    return np.packbits(vector.astype(np.uint8)).tobytes()


def dihedral_vectors(media: PreparedImage) -> tuple[list[np.ndarray], int]:
    """PDQ bit vectors of the image and its seven rotations/mirrors, in
    ``pdqhash.compute_dihedral`` order (the first is the image's own hash), and the quality.

    Computed once per image and kept on it: one pass costs barely more than a single hash
    (the rotations are sign flips and transposes of the same DCT), so the plain hash and the
    robust matcher's mirrored/rotated query variants share it."""
    cached = media.derived.get("pdq-dihedral")
    if cached is None:
        import pdqhash

        vectors, quality = pdqhash.compute_dihedral(media.pdq_array)
        cached = media.derived["pdq-dihedral"] = (list(vectors), int(quality))
    return cast("tuple[list[np.ndarray], int]", cached)


class PDQ(HashAlgorithm):
    name = "pdq"
    bits = 256
    default_threshold = 31
    description = "Meta PDQ, 256 bits, quality 0-100; ThreatExchange hex."

    def compute(self, media: PreparedImage) -> Digest:
        vectors, quality = dihedral_vectors(media)
        return Digest(self.name, pdq_vector_to_bytes(vectors[0]), quality)
