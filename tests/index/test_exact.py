"""The exact-match index returns what a plain dictionary model returns, whatever the history."""

from __future__ import annotations

import threading

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hashdb.hashing import ALGORITHMS
from hashdb.index import ExactIndex, make_index

Operation = tuple[str, list[int], list[bytes], bool]


@st.composite
def histories(draw: st.DrawFn, width: int) -> tuple[list[Operation], list[bytes]]:
    """Adds (one by one or in numpy batches), re-adds, replays and removes of a few digests,
    many sharing their first 64 bits (the part binary-searched), then queries of them."""
    prefix = draw(st.binary(min_size=min(8, width), max_size=min(8, width)))
    tails = st.binary(min_size=width - len(prefix), max_size=width - len(prefix))
    digests = draw(
        st.lists(
            st.one_of(
                tails.map(lambda tail: prefix + tail), st.binary(min_size=width, max_size=width)
            ),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    operations: list[Operation] = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["add", "add", "remove"]))
        # Removals are few at a time, so some stay as tombstones before a compaction.
        most = 30 if kind == "add" else 3
        ids = draw(st.lists(st.integers(0, 40), min_size=1, max_size=most))
        values = [draw(st.sampled_from(digests)) for _ in ids] if kind == "add" else []
        operations.append((kind, ids, values, draw(st.booleans())))
    missing = draw(st.binary(min_size=width, max_size=width))
    return operations, [*digests, missing]


def _apply(index: ExactIndex, model: dict[int, bytes], operation: Operation) -> None:
    kind, ids, values, as_array = operation
    if kind == "add":
        if as_array:
            index.add(
                np.asarray(ids, dtype=np.int64),
                np.frombuffer(b"".join(values), np.uint8).reshape(len(ids), -1),
            )
        else:
            index.add(ids, values)
        model.update(zip(ids, values, strict=True))
    else:
        index.remove(ids)
        for entry_id in ids:
            model.pop(entry_id, None)


def _expected(model: dict[int, bytes], value: bytes) -> list[int]:
    return sorted(entry_id for entry_id, stored in model.items() if stored == value)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([8, 12, 16, 32]).flatmap(histories),
    st.sampled_from([(0, 0), (1, 3), (4_096, 65_536)]),
    st.integers(0, 64),
)
def test_equals_a_dictionary_model_after_any_history(
    history: tuple[list[Operation], list[bytes]], bounds: tuple[int, int], radius: int
) -> None:
    operations, queries = history
    width = len(queries[0])
    # Tiny delta bounds merge into the sorted arrays after almost every add; the defaults
    # keep everything in the delta. Removals past a quarter of the rows compact the arrays.
    index = ExactIndex(width * 8, delta_min=bounds[0], delta_max=bounds[1])
    model: dict[int, bytes] = {}
    for operation in operations:
        _apply(index, model, operation)
        assert len(index) == len(model)
        for value in queries:
            found = index.query(value, radius)
            assert found.ids.tolist() == _expected(model, value)
            assert not found.distances.any()
        # Batches of more than 16 digests take the vectorised path.
        batch = queries * 9
        found_many = index.query_many(batch, radius)
        assert [found.ids.tolist() for found in found_many] == [_expected(model, v) for v in batch]
    index.flush()
    assert [index.query(v, 0).ids.tolist() for v in queries] == [
        _expected(model, v) for v in queries
    ]
    assert index.query(queries[0], -1).ids.tolist() == []


def test_a_digest_on_several_entries_returns_every_id_sorted() -> None:
    index = ExactIndex(256, delta_min=0, delta_max=0)
    rng = np.random.default_rng(3)
    data = rng.integers(0, 256, size=(5_000, 32), dtype=np.uint8)
    data[1000:1010] = data[17]  # ten more copies of row 17
    ids = rng.permutation(np.arange(10_000, 15_000, dtype=np.int64))
    index.add(ids, data)
    expected = sorted(ids[[17, *range(1000, 1010)]].tolist())
    assert index.query(bytes(data[17]), 0).ids.tolist() == expected
    index.remove([expected[3]])
    index.add([1], [bytes(data[17])])
    assert index.query(bytes(data[17]), 0).ids.tolist() == [1, *expected[:3], *expected[4:]]


def test_bulk_load_then_single_changes() -> None:
    # The start-up load passes (ids, (n, width) uint8) batches in id order; then the change
    # feed adds and retires entries one at a time.
    rng = np.random.default_rng(4)
    data = rng.integers(0, 256, size=(60_000, 32), dtype=np.uint8)
    index = ExactIndex(256)
    for start in range(0, 50_000, 10_000):
        index.add(np.arange(start, start + 10_000, dtype=np.int64), data[start : start + 10_000])
    index.flush()
    assert len(index) == 50_000
    for row in range(50_000, 50_100):
        index.add([row], [bytes(data[row])])
    index.remove(range(0, 50_000, 2))
    assert len(index) == 25_100
    assert index.query(bytes(data[0]), 0).ids.tolist() == []
    assert index.query(bytes(data[1]), 0).ids.tolist() == [1]
    assert index.query(bytes(data[50_050]), 0).ids.tolist() == [50_050]
    found = index.query_many([bytes(row) for row in data[:2000]], 0)
    assert [f.ids.tolist() for f in found] == [[] if i % 2 == 0 else [i] for i in range(2000)]
    # 32 bytes of digest, 8 of id, 1 alive flag, 8 of sorted key, 4 of row number.
    assert index.memory_bytes() <= 50_100 * (32 + 8 + 1 + 8 + 4) * 1.6


def test_re_adding_changes_only_what_changed() -> None:
    index = ExactIndex(128, delta_min=0, delta_max=0)
    index.add([1, 2], [b"a" * 16, b"b" * 16])
    index.add([1], [b"a" * 16])  # a replayed change
    assert len(index) == 2 and index.query(b"a" * 16, 0).ids.tolist() == [1]
    index.add([1], [b"c" * 16])  # a changed digest replaces the old one
    assert index.query(b"a" * 16, 0).ids.tolist() == []
    assert index.query(b"c" * 16, 0).ids.tolist() == [1]
    assert index.query(b"c" * 16, 200).distances.tolist() == [0]


def test_tombstones_before_a_compaction() -> None:
    digests = [bytes([n]) * 32 for n in range(20)]
    for bounds in ((4_096, 65_536), (0, 0)):  # in the delta, then in the sorted arrays
        index = ExactIndex(256, delta_min=bounds[0], delta_max=bounds[1])
        for entry_id, value in enumerate(digests):
            index.add([entry_id], [value])
        index.remove([3])
        index.remove([3])  # already gone: nothing changes
        assert len(index) == 19 and index.query(digests[3], 0).ids.tolist() == []
        index.add([3], [digests[3]])
        for value in (digests[4], digests[5], digests[4]):  # id 7 replaced three times
            index.add([7], [value])
        assert len(index) == 20
        assert index.query(digests[3], 0).ids.tolist() == [3]
        assert index.query(digests[4], 0).ids.tolist() == [4, 7]
        assert index.query(digests[5], 0).ids.tolist() == [5]
        index.add(range(20), digests)  # a batch (vectorised look-up) past the dead rows
        assert len(index) == 20
        assert [index.query(value, 0).ids.tolist() for value in digests] == [[n] for n in range(20)]


def test_queries_run_while_another_thread_adds() -> None:
    rng = np.random.default_rng(1)
    index = ExactIndex(256, delta_min=50, delta_max=200)
    planted = bytes(rng.integers(0, 256, size=32, dtype=np.uint8))
    index.add([0], [planted])
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for start in range(1, 5_000, 10):
                chunk = rng.integers(0, 256, size=(10, 32), dtype=np.uint8)
                index.add(list(range(start, start + 10)), chunk)
                index.remove([start])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        assert index.query(planted, 0).ids.tolist() == [0]
    thread.join()
    assert not errors
    assert len(index) == 1 + 500 * 9


def test_make_index_uses_it_for_cryptographic_digests() -> None:
    for name, algorithm in ALGORITHMS.items():
        if algorithm.exact:
            assert isinstance(make_index(algorithm), ExactIndex), name
