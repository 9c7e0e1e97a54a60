"""The content check's and the keypoint votes' fast paths against the plain numpy they
replace: the same numbers, on random pictures and descriptors."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hashdb.matching.robust import cells, channels, keyindex, recolour

_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _pictures(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    height, width = int(rng.integers(1, 70)), int(rng.integers(1, 70))
    first = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    second = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return first, second


@given(_SEEDS)
@settings(max_examples=50, deadline=None)
def test_channel_reductions_equal_numpys(seed: int) -> None:
    first, second = _pictures(seed)
    assert np.array_equal(channels.lowest(first), first.min(axis=2))
    assert np.array_equal(channels.highest(first), first.max(axis=2))
    wide = first.astype(np.int16)
    assert np.array_equal(channels.spread(first), wide.max(axis=2) - wide.min(axis=2))
    assert np.array_equal(
        channels.farthest(first, second), np.abs(wide - second.astype(np.int16)).max(axis=2)
    )


@given(_SEEDS)
@settings(max_examples=50, deadline=None)
def test_line_through_is_the_least_squares_line(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, int(rng.integers(2, 500))).astype(np.float64)
    y = rng.uniform(0.2, 3) * x + rng.uniform(-40, 40) + rng.normal(0, 5, x.size)
    design = np.stack([x, np.ones_like(x)], axis=1)
    expected = np.linalg.lstsq(design, y, rcond=None)[0]
    if np.ptp(x) > 0:
        assert np.allclose(recolour._line_through(x, y), expected, atol=1e-9)
    assert recolour._line_through(np.full(5, 7.0), np.arange(5.0)) == (0.0, 2.0)


@given(_SEEDS)
@settings(max_examples=50, deadline=None)
def test_cell_means_are_block_means(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, cols, cell = (int(v) for v in rng.integers(1, 17, 3))
    for shape in ((rows * cell, cols * cell), (rows * cell, cols * cell, 2)):
        picture = rng.uniform(-128, 128, shape).astype(np.float32)
        blocks = picture.reshape(rows, cell, cols, cell, *shape[2:]).mean(axis=(1, 3))
        assert np.allclose(cells.cell_means(picture, rows, cols), blocks, atol=1e-4)


def _brute_votes(
    references: dict[int, tuple[np.ndarray, np.ndarray]],
    descriptors: np.ndarray,
    points: np.ndarray,
    size: tuple[int, int],
    min_votes: int,
) -> list[tuple[int, int]]:
    """The votes as the index's docstring defines them, entry by entry: each query keypoint
    that shares a key with one of the entry's descriptors within ``MATCH_DISTANCE`` bits
    pairs with the closest such (among equals, the first by table, then row); the few
    entries with the most pairs are fitted."""
    keys = keyindex.descriptor_keys(descriptors)
    tallies = []
    for entry_id in sorted(references):
        rows, where = references[entry_id]
        theirs = keyindex.descriptor_keys(rows)
        pairs = []
        for q in range(descriptors.shape[0]):
            # Table by table, each table's rows in order: the first closest wins.
            shared = np.concatenate(
                [np.flatnonzero(theirs[:, t] == keys[q, t]) for t in range(keyindex.TABLES)]
            )
            bits = np.unpackbits(rows[shared] ^ descriptors[q], axis=1).sum(axis=1)
            if shared.size and bits.min() <= keyindex.MATCH_DISTANCE:
                pairs.append((q, int(shared[np.argmin(bits)])))
        tallies.append((entry_id, pairs))
    ranked = []
    order = sorted(tallies, key=lambda item: -len(item[1]))  # stable: id order among equals
    for entry_id, pairs in order[: keyindex.CHECKED]:
        if len(pairs) < min_votes:
            break
        rows, where = references[entry_id]
        source = where[[r for _, r in pairs]]
        target = points[[q for q, _ in pairs]]
        count = keyindex._fitting(source, target, keyindex.FIT_TOLERANCE * max(size))
        if count >= min_votes:
            ranked.append((entry_id, count))
    return sorted(ranked, key=lambda pair: (-pair[1], pair[0]))


@given(_SEEDS, st.integers(min_value=1, max_value=6), st.sampled_from([1 << 22, 0]))
@settings(max_examples=40, deadline=None)
def test_votes_equal_a_brute_force_count(seed: int, min_votes: int, table: int) -> None:
    """References and a query that share descriptors a few bits apart, scattered: the
    index's votes are the brute-force count's, entry for entry, whether counted in a table
    or, for a large index, by sorting."""
    rng = np.random.default_rng(seed)
    # Few distinct descriptors, so keys collide and several rows tie for the closest.
    palette = rng.integers(0, 256, (12, 32), dtype=np.uint8)
    references: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    index = keyindex.KeypointIndex()
    for entry_id in rng.permutation(40)[: int(rng.integers(1, 8))].tolist():
        count = int(rng.integers(1, 30))
        rows = palette[rng.integers(0, len(palette), count)].copy()
        flips = rng.integers(0, 256, (count, 32), dtype=np.uint8) & (
            rng.random((count, 32)) < 0.02
        ).astype(np.uint8)
        rows ^= flips
        where = rng.uniform(0, 200, (count, 2)).astype(np.float32)
        references[entry_id] = (rows, where)
        index.add(entry_id, rows, where)
    queries = int(rng.integers(1, 40))
    descriptors = palette[rng.integers(0, len(palette), queries)].copy()
    points = (rng.uniform(0, 200, (queries, 2)) * rng.uniform(0.5, 2)).astype(np.float32)
    size = (400, 400)
    expected = _brute_votes(references, descriptors, points, size, min_votes)
    default, keyindex._TABLE_CELLS = keyindex._TABLE_CELLS, table
    try:
        assert index.votes(descriptors, points, size, min_votes) == expected
    finally:
        keyindex._TABLE_CELLS = default
