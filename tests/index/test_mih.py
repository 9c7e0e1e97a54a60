"""The multi-index hash index returns exactly what brute force returns, whatever the history."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashdb.hashing import ALGORITHMS
from hashdb.index import BruteForceIndex, HammingIndex, MultiIndexHashIndex, make_index, mih
from hashdb.index.mih_layout import Layout, probe_plan


def _flip(value: bytes, bits: list[int]) -> bytes:
    out = bytearray(value)
    for bit in bits:
        out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


Operation = tuple[str, list[int], list[bytes]]


@st.composite
def histories(draw: st.DrawFn, width: int) -> tuple[list[Operation], list[tuple[bytes, int]]]:
    """Interleaved adds, re-adds and removes of clustered hashes, then queries near them."""
    bases = draw(st.lists(st.binary(min_size=width, max_size=width), min_size=1, max_size=3))
    # Few flips keep most hashes on the same substring keys: heavy buckets, as with real lists.
    max_flips = draw(st.sampled_from([2, 8, width * 2]))

    def near() -> bytes:
        base = draw(st.sampled_from(bases))
        return _flip(base, draw(st.lists(st.integers(0, width * 8 - 1), max_size=max_flips)))

    operations: list[Operation] = []
    known: list[int] = []
    for _ in range(draw(st.integers(1, 8))):
        if known and draw(st.booleans()):
            gone = draw(st.lists(st.sampled_from(known), max_size=8))
            operations.append(("remove", gone, []))
        else:
            ids = draw(st.lists(st.integers(0, 400), min_size=1, max_size=40))
            operations.append(("add", ids, [near() for _ in ids]))
            known.extend(ids)
    queries = [(near(), draw(st.integers(0, width * 8))) for _ in range(draw(st.integers(1, 4)))]
    return operations, queries


def _apply(index: HammingIndex, operations: list[Operation]) -> None:
    for kind, ids, values in operations:
        if kind == "add":
            index.add(ids, values)
        else:
            index.remove(ids)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([8, 32]).flatmap(histories),
    st.sampled_from([0, 3, 10_000]),
    st.booleans(),
)
def test_equals_brute_force_after_any_history(
    history: tuple[list[Operation], list[tuple[bytes, int]]], build_min: int, odd: bool
) -> None:
    operations, queries = history
    width = len(queries[0][0])
    reference = BruteForceIndex(width * 8)
    # Tiny thresholds force bucket tables, merges of the delta and compaction on small data;
    # ``odd`` cuts 15- and 12/13-bit substrings that straddle 64-bit words (cheap tables; the
    # 21/22-bit layout of 1e7 hashes is checked on real volumes below).
    substrings = (17 if width == 32 else 5) if odd else None
    index = MultiIndexHashIndex(width * 8, build_min=build_min, delta_max=5, substrings=substrings)
    for step in range(len(operations)):
        _apply(reference, operations[step : step + 1])
        _apply(index, operations[step : step + 1])
        assert len(index) == len(reference)
        for value, radius in queries:
            assert set(index.query(value, radius).pairs()) == set(
                reference.query(value, radius).pairs()
            )
    batched = index.query_many([value for value, _ in queries], queries[0][1])
    for (value, _), found in zip(queries, batched, strict=True):
        assert set(found.pairs()) == set(reference.query(value, queries[0][1]).pairs())
    index.flush()
    for value, radius in queries:
        assert set(index.query(value, radius).pairs()) == set(
            reference.query(value, radius).pairs()
        )


def test_pigeonhole_plan_covers_every_split() -> None:
    # r = s*m + a: the first a+1 substrings at radius s, the rest at s-1 (Norouzi et al.).
    subs, masks = probe_plan((16,) * 16, 31)  # type: ignore[misc]
    assert subs.size == 16 * 17  # every substring at radius 1
    subs, masks = probe_plan((16,) * 16, 16)  # type: ignore[misc]
    assert subs.size == 17 + 15  # one substring at radius 1, the others exact
    assert probe_plan((16,) * 16, -1) is None
    assert int(np.bitwise_count(masks.astype(np.uint64)).max()) == 1
    # 12 substrings of 21 bits (252 of the 256 bits) at 31 = 2*12 + 7: 8 at radius 2.
    layout = Layout.for_rows(256, 10_000_000)
    assert layout.lengths == (21,) * 12
    subs, _ = layout.plan(31)  # type: ignore[misc]
    assert subs.size == 8 * (1 + 21 + 210) + 4 * (1 + 21)
    assert Layout.for_rows(256, 1_000).lengths == (16,) * 16
    assert Layout.for_rows(256, 1_000_000).lengths == (19,) * 4 + (20,) * 9
    assert Layout.for_rows(64, 10_000_000).lengths == (21, 21, 21)


def test_row_numbers_and_ids_widen_when_the_index_outgrows_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three-byte row numbers give way to int32 ones, int32 ids to int64 ones, mid-life."""
    monkeypatch.setattr(mih, "PACKED_ROWS", 3_000)
    rng = np.random.default_rng(11)
    data = rng.integers(0, 256, size=(6_000, 32), dtype=np.uint8)
    ids = np.arange(6_000, dtype=np.int64) + 1
    ids[4_000:] += 2**40  # ids past int32 arrive with the later rows
    index = MultiIndexHashIndex(256, build_min=500, delta_max=500)
    reference = BruteForceIndex(256)
    for start in range(0, 6_000, 1_000):
        index.add(ids[start : start + 1_000], data[start : start + 1_000])
        reference.add(ids[start : start + 1_000], data[start : start + 1_000])
        index.flush()
        queries = [data[row].tobytes() for row in rng.integers(0, start + 1_000, size=20)]
        for query in queries:
            found = index.query(query, 40)
            assert sorted(found.ids.tolist()) == sorted(reference.query(query, 40).ids.tolist())
    index.remove([int(ids[4_500]), 5])
    assert len(index) == 5_998
    assert int(ids[4_500]) not in index.query(data[4_500].tobytes(), 0).ids.tolist()


@pytest.mark.parametrize(("substrings", "threaded"), [(None, False), (12, False), (None, True)])
def test_clustered_random_data_at_scale_matches_brute_force(
    substrings: int | None, threaded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if threaded:  # build the substrings' tables in threads, as merges of 1e6+ rows do
        monkeypatch.setattr(mih, "_PARALLEL_BUILD", 1)
    rng = np.random.default_rng(5)
    centres = rng.integers(0, 256, size=(20, 32), dtype=np.uint8)
    rows = centres[rng.integers(0, 20, size=30_000)].copy()
    flips = rng.integers(0, 256, size=(30_000, 12))
    for column in range(flips.shape[1]):
        np.bitwise_xor.at(
            rows, (np.arange(30_000), flips[:, column] // 8), 0x80 >> (flips[:, column] % 8)
        )
    random_rows = rng.integers(0, 256, size=(30_000, 32), dtype=np.uint8)
    data = np.vstack([rows, random_rows])
    ids = np.arange(data.shape[0], dtype=np.int64) * 3 + 7
    index = MultiIndexHashIndex(256, substrings=substrings)
    reference = BruteForceIndex(256)
    index.add(ids, data)
    reference.add(ids.tolist(), [bytes(row) for row in data])
    index.remove(ids[::7].tolist())
    reference.remove(ids[::7].tolist())
    index.flush()
    queries = [bytes(row) for row in data[rng.integers(0, data.shape[0], size=40)]]
    queries += [bytes(row) for row in rng.integers(0, 256, size=(10, 32), dtype=np.uint8)]
    for radius in (0, 16, 31, 70):
        batched = index.query_many(queries, radius)
        for value, found in zip(queries, batched, strict=True):
            expected = reference.query(value, radius)
            assert sorted(found.pairs()) == sorted(expected.pairs())
    # 32 bytes of hash, 8 of id, 1 alive flag, 4 per substring, plus the bucket tables.
    m = substrings or 16
    tables = 4 * ((1 << 22) + 1) * 4 + 4 * ((1 << 21) + 1) * 8 if substrings else 16 * 65537 * 4
    assert index.memory_bytes() <= data.shape[0] * (32 + 8 + 1 + m * 4) + tables


def test_adding_the_same_entry_again_changes_nothing() -> None:
    index = MultiIndexHashIndex(64, build_min=0)
    index.add([1, 2], [b"\x00" * 8, b"\x01" * 8])
    index.add([1], [b"\x00" * 8])  # a replayed change
    assert len(index) == 2
    index.add([1], [b"\xff" * 8])  # a changed hash replaces the old one
    assert index.query(b"\x00" * 8, 0).pairs() == []
    assert index.query(b"\xff" * 8, 0).pairs() == [(1, 0)]


def test_queries_run_while_another_thread_adds() -> None:
    rng = np.random.default_rng(1)
    index = MultiIndexHashIndex(256, build_min=100, delta_max=50)
    planted = bytes(rng.integers(0, 256, size=32, dtype=np.uint8))
    index.add([0], [planted])
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for start in range(1, 3_000, 100):
                chunk = rng.integers(0, 256, size=(100, 32), dtype=np.uint8)
                index.add(list(range(start, start + 100)), chunk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        assert (0, 0) in index.query(planted, 31).pairs()
    thread.join()
    assert not errors
    assert len(index) == 3_001


def test_make_index_uses_multi_index_hashing_for_perceptual_hashes() -> None:
    for name, algorithm in ALGORITHMS.items():
        index = make_index(algorithm)
        if not algorithm.exact:
            assert isinstance(index, MultiIndexHashIndex), name
