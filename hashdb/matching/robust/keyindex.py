"""A second way to find candidates: votes of ORB descriptors, for edits PDQ cannot bridge.

A picture cropped and captioned, or shown small inside a screenshot, can land a hundred PDQ
bits from every reference row, yet most of its keypoints still match the reference's. Each
reference's ORB descriptors are filed under a few short keys (fixed bit samples of the 256-bit
descriptor, locality-sensitive hashing). A query descriptor that shares a key with a reference
descriptor is a *vote pair* only if the two descriptors are really close (at most
``MATCH_DISTANCE`` of 256 bits).

Close descriptors alone prove little: ORB bits are far from uniform and pictures share
corners (glyphs of one typeface, the same emblem), so an unrelated upload drew ~50 close pairs
from its best reference. The pairs of a real copy, though, agree on where things are: one
affine transform (as in the full check, so a squashed copy fits too) maps the reference's
points onto the upload's. So the few references with the most pairs are checked with a
quick RANSAC affine fit over just those pairs, and a reference's votes are the query
keypoints that fit it. Only references with enough fitting votes go on to the full
geometric check, which this does not replace (it compares content too); it spares that
check, and its cost, for chance resemblances.

Memory per indexed reference (at most ``PER_REFERENCE`` keypoints): its descriptors and
points (40 bytes each) and ``TABLES`` sorted keys with their row (8 bytes each), about 19 KB.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import cv2
import numpy as np

#: Bit-sample tables and bits per key.
TABLES = 3
KEY_BITS = 18
#: Keypoints of a reference that are indexed (the stored ones, spread over a grid).
PER_REFERENCE = 300
#: A shared key counts as a vote only if the descriptors differ in at most this many bits
#: (the geometric check's own descriptor matches allow 64; true matches mostly lie far below).
MATCH_DISTANCE = 48
#: References (most vote pairs first) whose pairs get the quick geometric fit.
CHECKED = 4
#: The fit's tolerance, as a share of the query image's longest side.
FIT_TOLERANCE = 0.02
FIT_ITERATIONS = 200
#: Largest entry-by-keypoint table the votes are counted in (a byte a cell).
_TABLE_CELLS = 1 << 22

_BITS = (
    np.random.default_rng(20261201).permutation(256)[: TABLES * KEY_BITS].reshape(TABLES, KEY_BITS)
)
_WEIGHTS = (1 << np.arange(KEY_BITS, dtype=np.int64))[::-1]


def descriptor_keys(descriptors: np.ndarray) -> np.ndarray:
    """(n, TABLES) int64 keys of (n, 32) uint8 ORB descriptors."""
    if not descriptors.shape[0]:
        return np.empty((0, TABLES), dtype=np.int64)
    bits = np.unpackbits(np.ascontiguousarray(descriptors, dtype=np.uint8), axis=1)
    keys: np.ndarray = (bits[:, _BITS].astype(np.int64) * _WEIGHTS).sum(axis=2)
    # Table t's keys live in their own range, so one sorted array holds every table.
    result: np.ndarray = keys + (np.arange(TABLES, dtype=np.int64) << KEY_BITS)
    return result


class KeypointIndex:
    """Entry id -> descriptors, searchable by key as sorted arrays (rebuilt when changed)."""

    def __init__(self) -> None:
        self._descriptors: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # Built lazily from ``_descriptors``: sorted keys, and for each the row of
        # ``_rows`` (all descriptors stacked).
        self._sorted = np.empty(0, dtype=np.int32)
        self._row_of = np.empty(0, dtype=np.int32)
        self._rows = np.empty((0, 32), dtype=np.uint8)
        self._row_points = np.empty((0, 2), dtype=np.float32)
        # The entries in id order, and for each row its entry's place in that order.
        self._slot_of_row = np.empty(0, dtype=np.int32)
        self._entry_ids = np.empty(0, dtype=np.int64)
        self._dirty = False
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._descriptors)

    def add(self, entry_id: int, descriptors: np.ndarray, points: np.ndarray) -> None:
        """File a reference's descriptors and their points (in the reference's frame)."""
        kept = np.ascontiguousarray(descriptors[:PER_REFERENCE], dtype=np.uint8)
        where = np.ascontiguousarray(points[:PER_REFERENCE], dtype=np.float32).reshape(-1, 2)
        with self._lock:
            self._descriptors[entry_id] = (kept, where)
            self._dirty = True

    def remove(self, entry_ids: Iterable[int]) -> None:
        with self._lock:
            for entry_id in entry_ids:
                if self._descriptors.pop(entry_id, None) is not None:
                    self._dirty = True

    def _arrays(
        self,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            if self._dirty:
                ids = sorted(self._descriptors)
                blocks = [self._descriptors[entry_id] for entry_id in ids]
                rows = (
                    np.concatenate([b[0] for b in blocks])
                    if blocks
                    else np.empty((0, 32), np.uint8)
                )
                points = (
                    np.concatenate([b[1] for b in blocks])
                    if blocks
                    else np.empty((0, 2), np.float32)
                )
                slots = np.repeat(
                    np.arange(len(ids), dtype=np.int32), [b[0].shape[0] for b in blocks]
                )
                keys = descriptor_keys(rows).ravel()
                order = np.argsort(keys, kind="stable")
                self._sorted = keys[order].astype(np.int32)
                self._row_of = (order // TABLES).astype(np.int32)
                self._rows, self._row_points, self._slot_of_row = rows, points, slots
                self._entry_ids = np.asarray(ids, dtype=np.int64)
                self._dirty = False
            return (
                self._sorted,
                self._row_of,
                self._rows,
                self._row_points,
                self._slot_of_row,
                self._entry_ids,
            )

    def votes(
        self,
        descriptors: np.ndarray,
        points: np.ndarray,
        size: tuple[int, int],
        min_votes: int,
    ) -> list[tuple[int, int]]:
        """(entry id, votes): the query keypoints (``points`` in a frame of ``size``) whose
        descriptors are close to one of the entry's and fit one affine transform of the
        entry's points; entries with at least ``min_votes``, most votes first."""
        keys_sorted, row_of, rows, row_points, slot_of_row, entry_ids = self._arrays()
        if not keys_sorted.size or not descriptors.shape[0]:
            return []
        query = np.ascontiguousarray(descriptors, dtype=np.uint8)
        flat = descriptor_keys(query).ravel().astype(keys_sorted.dtype)
        low = np.searchsorted(keys_sorted, flat, side="left")
        high = np.searchsorted(keys_sorted, flat, side="right")
        counts = high - low
        total = int(counts.sum())
        if not total:
            return []
        # Positions low..high-1 for every probe, without a Python loop.
        starts = np.repeat(low - np.cumsum(counts) + counts, counts)
        reference_rows = row_of[starts + np.arange(total)]
        query_rows = np.repeat(np.arange(flat.size) // TABLES, counts)
        # 32-byte descriptors as four 64-bit words, summed word by word (numpy reduces a
        # short inner axis slowly).
        words, query_words = rows.view(np.uint64), query.view(np.uint64)
        distance = np.zeros(total, dtype=np.uint16)
        for word in range(4):
            distance += np.bitwise_count(
                query_words[query_rows, word] ^ words[reference_rows, word]
            )
        close = distance <= MATCH_DISTANCE
        if not close.any():
            return []
        query_rows, reference_rows = query_rows[close], reference_rows[close]
        distance = distance[close]
        slots = slot_of_row[reference_rows]
        # An entry with fewer close pairs than ``min_votes`` cannot reach them: the rest
        # are counted, each query keypoint once per entry (a mark in an entry-by-keypoint
        # table, which costs less than sorting the pairs).
        likely = np.bincount(slots, minlength=len(entry_ids)) >= min_votes
        kept = likely[slots]
        if not kept.any():
            return []
        slots, query_rows = slots[kept], query_rows[kept]
        reference_rows, distance = reference_rows[kept], distance[kept]
        local = (np.cumsum(likely) - 1)[slots]
        found = np.flatnonzero(likely)
        if found.size * query.shape[0] <= _TABLE_CELLS:
            marked = np.zeros((found.size, query.shape[0]), dtype=bool)
            marked[local, query_rows] = True
            tally = marked.sum(axis=1)
        else:  # many likely entries (a large index): count the distinct pairs by sorting
            distinct = np.unique(local * query.shape[0] + query_rows) // query.shape[0]
            tally = np.bincount(distinct, minlength=found.size)
        # Pairs bound the votes: fit only the likeliest few entries.
        tolerance = FIT_TOLERANCE * max(size)
        ranked = []
        for i in np.argsort(-tally, kind="stable")[:CHECKED]:
            if tally[i] < min_votes:
                break
            mine = np.flatnonzero(local == i)
            # Each query keypoint pairs once with the entry: with its closest descriptor there.
            order = mine[np.argsort(query_rows[mine] * 257 + distance[mine], kind="stable")]
            first = np.ones(order.size, dtype=bool)
            first[1:] = query_rows[order[1:]] != query_rows[order[:-1]]
            order = order[first]
            count = _fitting(
                row_points[reference_rows[order]], points[query_rows[order]], tolerance
            )
            if count >= min_votes:
                ranked.append((int(entry_ids[found[i]]), count))
        ranked.sort(key=lambda pair: (-pair[1], pair[0]))
        return ranked


def _fitting(source: np.ndarray, target: np.ndarray, tolerance: float) -> int:
    """How many pairs fit the best affine transform from source points to target points
    (RANSAC; affine like the full check, so a squashed copy fits too)."""
    if source.shape[0] < 3:
        return 0
    _, mask = cv2.estimateAffine2D(
        source, target, method=cv2.RANSAC, ransacReprojThreshold=tolerance, maxIters=FIT_ITERATIONS
    )
    return 0 if mask is None else int(mask.sum())
