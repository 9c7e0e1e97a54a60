"""PDQ's arithmetic in numpy (the robust stages' variant hashes): the same 64 x 64 buffer as
PDQ's own box-filter passes, computed the slow way, and hashes within float rounding of
``pdqhash``'s."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pdqhash
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hashdb.hashing import pdq_numpy
from hashdb.hashing.pdq import dihedral_hashes_of, pdq_hash, pdq_vector_to_bytes
from hashdb.testing.images import scene


def _box(vector: npt.NDArray[np.float64], window: int) -> npt.NDArray[np.float64]:
    """One pass of ``pdqhashing.cpp``'s ``box1DFloat``, phase by phase: accumulate, write
    with a growing window, slide the full window, write with a shrinking one."""
    half = (window + 2) // 2
    out = np.zeros_like(vector)
    total, size, right, left, at = 0.0, 0, 0, 0, 0
    for _ in range(half - 1):
        total += vector[right]
        size += 1
        right += 1
    for _ in range(window - half + 1):
        total += vector[right]
        size += 1
        out[at] = total / size
        right += 1
        at += 1
    for _ in range(len(vector) - window):
        total += vector[right] - vector[left]
        out[at] = total / size
        right += 1
        left += 1
        at += 1
    for _ in range(half - 1):
        total -= vector[left]
        size -= 1
        out[at] = total / size
        left += 1
        at += 1
    return out


def _pdq_buffer(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """PDQ's 64 x 64 buffer as its C++ makes it: luminance, two passes of a box along the
    rows and then the columns, and one sample per block."""
    height, width = rgb.shape[:2]
    luma = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    along_rows, along_columns = -(-width // 128), -(-height // 128)
    for _ in range(2):
        luma = np.array([_box(row, along_rows) for row in luma])
        luma = np.array([_box(column, along_columns) for column in luma.T]).T
    rows = [int((i + 0.5) * height / 64) for i in range(64)]
    columns = [int((j + 0.5) * width / 64) for j in range(64)]
    return np.asarray(luma[np.ix_(rows, columns)])


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.uint8,
        st.tuples(st.integers(5, 420), st.integers(5, 420), st.just(3)),
        elements=st.integers(0, 255),
    )
)
def test_the_sample_weights_make_pdqs_own_buffer(rgb: npt.NDArray[np.uint8]) -> None:
    # Sizes over 128, 256 and 384 pixels give box windows of 2, 3 and 4 (even windows sit
    # off centre in PDQ), and pictures smaller than 64 pixels repeat samples.
    assert np.allclose(pdq_numpy.samples_64(rgb), _pdq_buffer(rgb), rtol=1e-4, atol=1e-3)


def test_hashes_are_pdqhashs_but_for_rounding() -> None:
    """On photographs and their flat-stepped copies (many coefficients near the median),
    every hash and its rotations stays within a few bits of ``pdqhash``'s and most are the
    same bits; the quality is the same."""
    identical = compared = 0
    for seed in range(20):
        for size in [(64, 48), (640, 480), (333, 1001), (257, 255)]:
            rgb = np.asarray(scene(seed, size), dtype=np.uint8)
            if seed % 4 == 0:
                rgb = rgb // 32 * 32
            rgb = np.ascontiguousarray(rgb)
            vectors, quality = pdqhash.compute_dihedral(rgb)
            values, ours = dihedral_hashes_of(rgb, standard=False)
            assert ours == quality
            for vector, value in zip(vectors, values, strict=True):
                expected = np.frombuffer(pdq_vector_to_bytes(vector), np.uint8)
                bits = int(np.unpackbits(expected ^ np.frombuffer(value, np.uint8)).sum())
                assert bits <= 4, (seed, size, bits)
                identical += bits == 0
                compared += 1
            assert pdq_hash(rgb, standard=False)[0] == values[0]
    assert identical >= 0.9 * compared, (identical, compared)
