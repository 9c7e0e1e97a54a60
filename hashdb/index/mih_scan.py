"""Verifying candidates of multi-index hashing: XOR + popcount over packed rows, and the hits
grouped back by query (:mod:`hashdb.index.mih`)."""

from __future__ import annotations

import itertools

import numpy as np

from hashdb.index.base import EMPTY, Neighbours


def row_distances(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance of each packed row to ``query`` (one row, or one per row).

    Word by word over strided columns: about three times faster than ``.sum(axis=1)``.
    """
    total: np.ndarray = np.bitwise_count(rows[:, 0] ^ query[..., 0]).astype(np.int32)
    for word in range(1, rows.shape[1]):
        total += np.bitwise_count(rows[:, word] ^ query[..., word])
    return total


def scan(
    words: np.ndarray, queries: np.ndarray, radius: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Brute force: (query index, row, distance) of every row within radius of each query."""
    q_found: list[np.ndarray] = []
    r_found: list[np.ndarray] = []
    d_found: list[np.ndarray] = []
    for index in range(queries.shape[0]):
        distances = row_distances(words, queries[index])
        rows = np.flatnonzero(distances <= radius)
        q_found.append(np.full(rows.size, index, dtype=np.int64))
        r_found.append(rows)
        d_found.append(distances[rows])
    return np.concatenate(q_found), np.concatenate(r_found), np.concatenate(d_found)


def split_by_query(
    count: int,
    hit_q: list[np.ndarray],
    hit_rows: list[np.ndarray],
    hit_dist: list[np.ndarray],
    ids: np.ndarray,
    alive: np.ndarray,
) -> list[Neighbours]:
    if not hit_q:
        return [EMPTY] * count
    owner = np.concatenate(hit_q)
    rows = np.concatenate(hit_rows)
    distances = np.concatenate(hit_dist)
    live = alive[rows]
    owner, rows, distances = owner[live], rows[live], distances[live]
    order = np.argsort(owner, kind="stable")
    owner, rows, distances = owner[order], rows[order], distances[order]
    bounds = np.searchsorted(owner, np.arange(count + 1))
    found_ids = ids[rows].astype(np.int64)
    return [
        Neighbours(found_ids[lo:hi], distances[lo:hi]) if hi > lo else EMPTY
        for lo, hi in itertools.pairwise(bounds.tolist())
    ]
