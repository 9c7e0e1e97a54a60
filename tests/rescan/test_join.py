"""The batch Hamming join returns exactly what brute force returns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashdb.hashing.base import hamming_distance
from hashdb.rescan.join import JoinResult, hamming_join


def _brute(stored: list[bytes], queries: list[bytes], radius: int) -> set[tuple[int, int, int]]:
    return {
        (q, s, d)
        for q, query in enumerate(queries)
        for s, value in enumerate(stored)
        if (d := hamming_distance(query, value)) <= radius
    }


def _pairs(result: JoinResult) -> set[tuple[int, int, int]]:
    columns = (result.queries.tolist(), result.stored.tolist(), result.distances.tolist())
    return set(zip(*columns, strict=True))


def _near(rng: np.random.Generator, value: bytes, flips: int) -> bytes:
    bits = bytearray(value)
    for bit in rng.choice(len(value) * 8, size=flips, replace=False):
        bits[bit // 8] ^= 1 << (7 - bit % 8)
    return bytes(bits)


@pytest.mark.parametrize(("bits", "radius"), [(256, 31), (256, 0), (256, 70), (64, 10), (64, 2)])
def test_join_equals_brute_force(bits: int, radius: int) -> None:
    rng = np.random.default_rng(bits + radius)
    width = bits // 8
    stored = [bytes(row) for row in rng.integers(0, 256, (3000, width), dtype=np.uint8)]
    stored += stored[:5]  # duplicates in the store
    queries = [_near(rng, stored[i * 7], int(rng.integers(0, radius + 4))) for i in range(60)]
    queries += [bytes(row) for row in rng.integers(0, 256, (40, width), dtype=np.uint8)]
    result = hamming_join(stored, queries, bits, radius)
    found = _pairs(result)
    assert len(found) == len(result)  # no pair twice
    expected = _brute(stored, queries, radius)
    assert found == expected
    assert len(expected) >= 30 if radius >= 10 else True


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.binary(min_size=8, max_size=8), min_size=0, max_size=40),
    st.lists(st.binary(min_size=8, max_size=8), min_size=0, max_size=10),
    st.integers(0, 32),
)
def test_join_property(stored: list[bytes], queries: list[bytes], radius: int) -> None:
    result = hamming_join(stored, queries, 64, radius)
    found = _pairs(result)
    assert found == _brute(stored, queries, radius)
