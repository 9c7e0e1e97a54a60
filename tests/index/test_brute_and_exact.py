"""The reference indexes against a plain Python bit count."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hashdb.hashing import hamming_distance
from hashdb.index import BruteForceIndex, ExactIndex


def _naive(stored: dict[int, bytes], query: bytes, radius: int) -> set[tuple[int, int]]:
    return {
        (entry_id, hamming_distance(value, query))
        for entry_id, value in stored.items()
        if hamming_distance(value, query) <= radius
    }


@st.composite
def workloads(draw: st.DrawFn, width: int) -> tuple[dict[int, bytes], list[int], bytes, int]:
    base = draw(st.binary(min_size=width, max_size=width))
    # Clustered data: most hashes are a few bit flips from one base, like near-duplicate lists.
    values = {}
    for entry_id in draw(st.lists(st.integers(0, 10_000), max_size=60, unique=True)):
        flips = draw(st.lists(st.integers(0, width * 8 - 1), max_size=width * 4))
        value = bytearray(base)
        for bit in flips:
            value[bit // 8] ^= 0x80 >> (bit % 8)
        values[entry_id] = bytes(value)
    removed = draw(st.lists(st.sampled_from(sorted(values)), max_size=10)) if values else []
    query = draw(st.sampled_from([base, *values.values()])) if values else base
    radius = draw(st.integers(0, width * 8))
    return values, removed, query, radius


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([8, 32]).flatmap(workloads))
def test_brute_force_equals_naive_scan(
    workload: tuple[dict[int, bytes], list[int], bytes, int],
) -> None:
    values, removed, query, radius = workload
    width = len(query)
    index = BruteForceIndex(width * 8)
    items = list(values.items())
    # Add in two batches and remove some, to exercise growth, tombstones and compaction.
    half = len(items) // 2
    index.add([i for i, _ in items[:half]], [v for _, v in items[:half]])
    index.add([i for i, _ in items[half:]], [v for _, v in items[half:]])
    index.remove(removed)
    alive = {k: v for k, v in values.items() if k not in set(removed)}
    assert len(index) == len(alive)
    assert set(index.query(query, radius).pairs()) == _naive(alive, query, radius)
    # The batched form (one distance matrix for all queries) agrees query by query.
    queries = [query, *list(values.values())[:5]]
    for value, found in zip(queries, index.query_many(queries, radius), strict=True):
        assert set(found.pairs()) == _naive(alive, value, radius)


def test_re_adding_an_id_replaces_its_hash() -> None:
    index = BruteForceIndex(64)
    index.add([1], [b"\x00" * 7 + b"\x01"])
    index.add([1], [b"\xff" * 8])
    assert len(index) == 1
    assert index.query(b"\xff" * 8, 0).pairs() == [(1, 0)]
    assert index.query(b"\x00" * 7 + b"\x01", 0).pairs() == []


def test_exact_index_matches_only_identical_values() -> None:
    index = ExactIndex(256)
    index.add([1, 2, 3], [b"a" * 32, b"a" * 32, b"b" * 32])
    assert sorted(index.query(b"a" * 32, 0).pairs()) == [(1, 0), (2, 0)]
    index.remove([1])
    assert index.query(b"a" * 32, 0).pairs() == [(2, 0)]
    assert index.query(b"c" * 32, 0).pairs() == []
    assert len(index) == 2
