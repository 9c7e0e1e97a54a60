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


def _dct(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """PDQ's 16x16 DCT output of an RGB image, in hash bit order, and the quality.

    ``pdqhash.compute`` builds its result bit by bit in Python (a loop of 256 per hash, eight
    for the rotations); thresholding the DCT here gives the same bits several times faster."""
    import numpy as np
    import pdqhash

    values, quality = pdqhash.compute_float(np.ascontiguousarray(rgb))
    return np.asarray(values, dtype=np.float32)[::-1].reshape(16, 16), int(quality)


def _bits(dct: np.ndarray) -> list[bytes]:
    """Hashes of DCT outputs (``n x 16 x 16``): a bit is set where the coefficient exceeds
    the 128th smallest, as PDQ's own median (Torben's) picks it."""
    import numpy as np

    flat = dct.reshape(len(dct), 256)[:, ::-1]
    median = np.partition(flat, 127, axis=1)[:, 127:128]
    return [row.tobytes() for row in np.packbits(flat > median, axis=1)]


def _any_dct(rgb: np.ndarray, standard: bool) -> tuple[np.ndarray, int]:
    if standard:
        return _dct(rgb)
    from hashdb.hashing import pdq_numpy

    return pdq_numpy.dct(rgb)


def pdq_hash(rgb: np.ndarray, *, standard: bool = True) -> tuple[bytes, int]:
    """The PDQ hash of an RGB array and its quality (``pdqhash.compute``'s, bit for bit; with
    ``standard`` off, :mod:`hashdb.hashing.pdq_numpy`'s, equal but for float rounding)."""
    dct, quality = _any_dct(rgb, standard)
    return _bits(dct[None])[0], quality


def dihedral_hashes_of(rgb: np.ndarray, *, standard: bool = True) -> tuple[list[bytes], int]:
    """PDQ hashes of an RGB array and its seven rotations/mirrors, in
    ``pdqhash.compute_dihedral`` order, from one DCT: turning or mirroring the picture
    transposes the DCT and flips the sign of its odd frequencies (the rows and columns of
    even index here, as PDQ's basis starts at frequency 1). ``standard`` as for
    :func:`pdq_hash`."""
    import numpy as np

    dct, quality = _any_dct(rgb, standard)
    odd = np.arange(16) % 2 == 0
    rows = np.where(odd, -1, 1).astype(np.float32)[:, None]
    cols = rows.T
    both = rows * cols
    turned = dct.T
    stack = np.stack(
        [
            dct,
            turned * rows,
            dct * both,
            turned * cols,
            dct * rows,
            dct * cols,
            turned,
            turned * both,
        ]
    )
    return _bits(stack), quality


def dihedral_hashes(media: PreparedImage) -> tuple[list[bytes], int]:
    """PDQ hashes of the image and its seven rotations/mirrors, in
    ``pdqhash.compute_dihedral`` order (the first is the image's own hash), and the quality.

    Computed once per image and kept on it: one pass costs barely more than a single hash
    (the rotations are sign flips and transposes of the same DCT), so the plain hash and the
    robust matcher's mirrored/rotated query variants share it."""
    cached = media.derived.get("pdq-dihedral")
    if cached is None:
        cached = media.derived["pdq-dihedral"] = dihedral_hashes_of(media.pdq_array)
    return cast("tuple[list[bytes], int]", cached)


class PDQ(HashAlgorithm):
    name = "pdq"
    bits = 256
    default_threshold = 31
    description = "Meta PDQ, 256 bits, quality 0-100; ThreatExchange hex."

    def compute(self, media: PreparedImage) -> Digest:
        hashes, quality = dihedral_hashes(media)
        return Digest(self.name, hashes[0], quality)
