"""64-bit DCT (pHash) and difference (dHash) hashes, bit for bit those of ``imagehash``.

pHash is ``imagehash.phash`` with the DCT as two small matrix products instead of
``scipy.fftpack``: the same coefficients, and no SciPy import (a second of a command line call).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from hashdb.hashing.base import Digest, HashAlgorithm

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from hashdb.media.image import PreparedImage


def _bool_array_to_bytes(bits: np.ndarray) -> bytes:
    # Same bit order as str(imagehash.ImageHash): row-major, first bit most significant.
    import numpy as np  # loaded on first hash, not on import (the command line starts faster)

    return np.packbits(bits.flatten().astype(np.uint8)).tobytes()


#: imagehash's pHash: a 32x32 grey image, the top-left 8x8 of its 2-D DCT against their median.
_PHASH_SIDE, _PHASH_BITS_SIDE = 32, 8


@cache
def _dct_rows() -> np.ndarray:
    """The first 8 rows of the unnormalised DCT-II matrix (``scipy.fftpack.dct``'s default)."""
    import numpy as np

    k = np.arange(_PHASH_BITS_SIDE)[:, None]
    n = np.arange(_PHASH_SIDE)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * n + 1) / (2 * _PHASH_SIDE))


def phash_bits(gray: Image.Image) -> np.ndarray:
    import numpy as np
    from PIL import Image

    small = gray.convert("L").resize((_PHASH_SIDE, _PHASH_SIDE), Image.Resampling.LANCZOS)
    rows = _dct_rows()
    low: np.ndarray = rows @ np.asarray(small, dtype=np.float64) @ rows.T
    bits: np.ndarray = low > np.median(low)
    return bits


class PHash(HashAlgorithm):
    name = "phash"
    bits = 64
    default_threshold = 10
    enabled_by_default = False
    description = "imagehash pHash (DCT), 64 bits; only matches on lists that enable it."

    def compute(self, media: PreparedImage) -> Digest:
        return Digest(self.name, _bool_array_to_bytes(phash_bits(media.gray)))


class DHash(HashAlgorithm):
    name = "dhash"
    bits = 64
    default_threshold = 10
    enabled_by_default = False
    description = "imagehash dHash (row gradients), 64 bits; only matches on lists that enable it."

    def compute(self, media: PreparedImage) -> Digest:
        import imagehash

        return Digest(self.name, _bool_array_to_bytes(imagehash.dhash(media.gray).hash))
