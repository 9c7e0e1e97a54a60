"""Batch Hamming join: every (query, stored) pair within a radius, for retro-matching.

Rematching puts up to millions of stored media hashes against thousands of new entries at
once. Brute force is ``stored x queries`` popcounts (1M x 10k PDQ hashes is 10^10 pairs:
minutes); this join prunes with the pigeonhole principle instead, like multi-index hashing:
split the hash into ``m`` segments of ``w`` bits; two hashes within ``t`` bits of each other
have at least one segment within ``t // m`` bits. Each segment of the stored hashes is
sorted once; each query probes every segment value within ``t // m`` bits of its own
(``searchsorted`` over all queries at once) and only those candidates are verified with a
full XOR + popcount. The result is exact: the same pairs brute force finds (tests check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

import numpy as np

from hashdb.index.base import as_words, xor_masks

_MAX_PAIRS_PER_BATCH = 4_000_000


@dataclass(frozen=True, slots=True)
class JoinResult:
    """Parallel arrays: query position, stored position, Hamming distance."""

    queries: np.ndarray
    stored: np.ndarray
    distances: np.ndarray

    def __len__(self) -> int:
        return int(self.queries.shape[0])


def _plan(bits: int, radius: int, stored: int) -> tuple[int, int]:
    """Segment width and per-segment radius with the least estimated work."""
    best: tuple[float, int, int] | None = None
    for width in (8, 16):
        if bits % width:
            continue
        segments = bits // width
        per_segment = radius // segments
        if per_segment > 3:
            continue
        variants = sum(comb(width, k) for k in range(per_segment + 1))
        cost = segments * variants * (1 + stored / 2**width)
        if best is None or cost < best[0]:
            best = (cost, width, per_segment)
    if best is None:
        return 0, 0  # radius too wide for pruning: brute force
    return best[1], best[2]


def _segments(raw: np.ndarray, width: int) -> np.ndarray:
    if width == 8:
        return raw
    return raw.view(">u2").astype(np.uint16)


def hamming_join(
    stored: Sequence[bytes] | np.ndarray,
    queries: Sequence[bytes] | np.ndarray,
    bits: int,
    radius: int,
) -> JoinResult:
    """All pairs with distance <= ``radius``; hashes are ``bits // 8`` bytes each."""
    width_bytes = bits // 8
    stored_raw = _raw(stored, width_bytes)
    query_raw = _raw(queries, width_bytes)
    empty = np.empty(0, dtype=np.int64)
    if not stored_raw.shape[0] or not query_raw.shape[0]:
        return JoinResult(empty, empty, np.empty(0, dtype=np.int32))
    stored_words = as_words(stored_raw, width_bytes)
    query_words = as_words(query_raw, width_bytes)
    width, per_segment = _plan(bits, radius, stored_raw.shape[0])
    if width == 0:
        return _brute(stored_words, query_words, radius)
    stored_segments = _segments(stored_raw, width)
    query_segments = _segments(query_raw, width)
    masks = xor_masks(width, per_segment).astype(np.uint8 if width == 8 else np.uint16)
    found_q: list[np.ndarray] = []
    found_s: list[np.ndarray] = []
    found_d: list[np.ndarray] = []
    variants = masks.shape[0]
    for segment in range(stored_segments.shape[1]):
        column = np.ascontiguousarray(stored_segments[:, segment])
        order = np.argsort(column, kind="stable")
        ordered = column[order]
        # Probes are sorted, so candidate reads move forward through the sorted order.
        probes = (query_segments[:, segment][:, None] ^ masks[None, :]).ravel()
        probe_order = np.argsort(probes, kind="stable")
        probes = probes[probe_order]
        low = np.searchsorted(ordered, probes, side="left")
        high = np.searchsorted(ordered, probes, side="right")
        counts = high - low
        owners = probe_order // variants
        nonzero = counts > 0
        low, counts, owners = low[nonzero], counts[nonzero], owners[nonzero]
        for start, stop in _batches(counts):
            q, position = _expand(low[start:stop], counts[start:stop], owners[start:stop])
            candidates = order[position]
            distances = np.bitwise_count(stored_words[candidates] ^ query_words[q]).sum(
                axis=1, dtype=np.int32
            )
            keep = distances <= radius
            found_q.append(q[keep])
            found_s.append(candidates[keep].astype(np.int64))
            found_d.append(distances[keep])
    if not found_q:
        return JoinResult(empty, empty, np.empty(0, dtype=np.int32))
    q_all, s_all, d_all = np.concatenate(found_q), np.concatenate(found_s), np.concatenate(found_d)
    # A pair close in several segments was found once per segment.
    key = q_all * stored_raw.shape[0] + s_all
    _, first = np.unique(key, return_index=True)
    return JoinResult(q_all[first], s_all[first], d_all[first])


def _raw(hashes: Sequence[bytes] | np.ndarray, width: int) -> np.ndarray:
    if isinstance(hashes, np.ndarray):
        return np.ascontiguousarray(hashes, dtype=np.uint8).reshape(-1, width)
    if not len(hashes):
        return np.empty((0, width), dtype=np.uint8)
    return np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, width)


def _batches(counts: np.ndarray) -> list[tuple[int, int]]:
    """Cut the probe list so no batch expands to more than a few million candidate pairs."""
    if not counts.shape[0]:
        return []
    cumulative = np.cumsum(counts)
    batches: list[tuple[int, int]] = []
    start = 0
    while start < counts.shape[0]:
        base = cumulative[start - 1] if start else 0
        stop = int(np.searchsorted(cumulative, base + _MAX_PAIRS_PER_BATCH, side="right"))
        stop = max(stop, start + 1)
        batches.append((start, stop))
        start = stop
    return batches


def _expand(
    low: np.ndarray, counts: np.ndarray, owners: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(query, sorted position) for every candidate of every probe."""
    total = int(counts.sum())
    starts = np.repeat(low - (np.cumsum(counts) - counts), counts)
    positions = starts + np.arange(total)
    return np.repeat(owners, counts).astype(np.int64), positions


def _brute(stored_words: np.ndarray, query_words: np.ndarray, radius: int) -> JoinResult:
    found_q, found_s, found_d = [], [], []
    for q in range(query_words.shape[0]):
        distances = np.bitwise_count(stored_words ^ query_words[q]).sum(axis=1, dtype=np.int32)
        hits = np.flatnonzero(distances <= radius)
        found_q.append(np.full(hits.shape[0], q, dtype=np.int64))
        found_s.append(hits.astype(np.int64))
        found_d.append(distances[hits])
    return JoinResult(np.concatenate(found_q), np.concatenate(found_s), np.concatenate(found_d))
