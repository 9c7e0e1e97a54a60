"""PDQ's filter, decimation, quality and DCT in numpy, for the hashes hashdb keeps to itself.

PDQ (``pdqhash``, Meta's C++) blurs the whole picture with two passes of 1-D box filters
along each axis (Jarosz), then keeps 64 x 64 samples of the blur, and takes 16 x 16 DCT
coefficients of those. Every step is linear, so each of the 64 samples along an axis is a
fixed weighted sum of a few neighbouring pixels (the tent the two box passes make, cut at
the picture's edge as PDQ cuts its windows): here those weights are worked out once per
picture size and applied to the rows and then the columns PDQ samples, without blurring
the pixels it never looks at. A 256 x 256 picture takes about a sixth of ``pdqhash``'s
time.

The result is PDQ's up to float rounding: the bits differ only where two coefficients are
within rounding of the median (pictures made of exact gradients or flat colour, whose
coefficients tie). Hashes that leave hashdb (an entry's own PDQ hash, exports, what
partners compare) are computed by ``pdqhash`` itself; this serves the robust stages' query
and reference variants, which only hashdb compares with each other.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

#: PDQ's luminance from RGB.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
#: PDQ's box window is 1/128th of the picture's side along each axis (two passes: 1/64th).
_WINDOW_DIVISOR = 128
_SAMPLES = 64
_DCT = np.array(
    [
        [math.sqrt(2 / 64) * math.cos(math.pi / 2 / 64 * (i + 1) * (2 * j + 1)) for j in range(64)]
        for i in range(16)
    ],
    dtype=np.float32,
)


@functools.lru_cache(maxsize=512)
def sample_weights(length: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """The pixels (64 x k indices along an axis of ``length``) and the weights by which PDQ's
    two box passes and its decimation make each of its 64 samples.

    One pass writes at ``i`` the mean of the pixels from ``i - left`` to ``i + right`` that
    lie inside the picture (``pdqhashing.cpp``'s ``box1DFloat``: a window of ``w`` pixels,
    ``right = (w + 2) // 2 - 1``); the second pass averages the first's outputs the same way,
    and PDQ keeps the output at ``int((s + 0.5) * length / 64)`` for sample ``s``."""
    window = -(-length // _WINDOW_DIVISOR)
    right = (window + 2) // 2 - 1
    left = window - 1 - right
    offsets = np.arange(-left, right + 1)
    samples = ((np.arange(_SAMPLES) + 0.5) * length / _SAMPLES).astype(np.intp)
    middle = samples[:, None] + offsets[None, :]  # the first pass's outputs each sample averages
    inside = (middle >= 0) & (middle < length)
    spans = np.minimum(length - 1, middle + right) - np.maximum(0, middle - left) + 1
    shares = inside / (inside.sum(axis=1, keepdims=True) * spans)
    weights = np.zeros((_SAMPLES, 2 * window - 1))
    for a, first in enumerate(offsets):
        for second in offsets:
            pixel = middle[:, a] + second
            counted = inside[:, a] & (pixel >= 0) & (pixel < length)
            weights[:, first + second + 2 * left] += np.where(counted, shares[:, a], 0.0)
    reach = samples[:, None] - 2 * left + np.arange(2 * window - 1)[None, :]
    return np.clip(reach, 0, length - 1), weights.astype(np.float32)


def samples_64(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """PDQ's 64 x 64 buffer of an RGB picture: its luminance, blurred and decimated."""
    height, width = rgb.shape[:2]
    luma = rgb.astype(np.float32) @ _LUMA
    row_index, row_weights = sample_weights(height)
    column_index, column_weights = sample_weights(width)
    rows = np.einsum("sm,smw->sw", row_weights, luma[row_index])
    return np.asarray(np.einsum("stm,tm->st", rows[:, column_index], column_weights))


def quality(buffer: npt.NDArray[np.float32]) -> int:
    """PDQ's quality of a 64 x 64 buffer: its significant gradients, 0-100."""
    down = np.trunc((buffer[:-1, :] - buffer[1:, :]) * 100 / 255)
    across = np.trunc((buffer[:, :-1] - buffer[:, 1:]) * 100 / 255)
    return min(100, int((np.abs(down).sum() + np.abs(across).sum()) // 90))


def dct(rgb: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], int]:
    """PDQ's 16 x 16 DCT output of an RGB picture, in hash bit order, and its quality."""
    buffer = samples_64(rgb)
    return np.asarray(_DCT @ buffer @ _DCT.T, dtype=np.float32), quality(buffer)
