"""Brute-force index: XOR + popcount over every stored hash. Exact, simple, the reference.

Hashes are stored word-major (one contiguous array per 64-bit word of the hash), so a query
is a few long vector passes: numpy sums over a short inner axis of four words slowly, and
that layout made a batch of queries over 6,600 hashes 8x slower."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from hashdb.index.base import EMPTY, HammingIndex, Neighbours, as_words

_COMPACT_FRACTION = 0.25


class BruteForceIndex(HammingIndex):
    def __init__(self, bits: int) -> None:
        super().__init__(bits)
        self._words_per_hash = -(-self.width // 8)
        self._words = np.empty((self._words_per_hash, 0), dtype=np.uint64)
        self._ids = np.empty(0, dtype=np.int64)
        self._alive = np.empty(0, dtype=bool)
        self._row_of: dict[int, int] = {}
        self._size = 0  # rows in use (alive or tombstoned)

    def __len__(self) -> int:
        return len(self._row_of)

    def add(self, ids: Sequence[int] | np.ndarray, hashes: Sequence[bytes] | np.ndarray) -> None:
        if len(ids) != len(hashes):
            raise ValueError("ids and hashes differ in length")
        if not len(ids):
            return
        latest = {int(entry_id): position for position, entry_id in enumerate(ids)}
        if len(latest) != len(ids):  # the last of repeated ids wins, as with separate adds
            keep = sorted(latest.values())
            ids = [int(ids[position]) for position in keep]
            hashes = (
                hashes[keep]
                if isinstance(hashes, np.ndarray)
                else [hashes[position] for position in keep]
            )
        self.remove(ids)
        words = as_words(hashes, self.width)
        count = words.shape[0]
        self._reserve(self._size + count)
        start = self._size
        self._words[:, start : start + count] = words.T
        self._ids[start : start + count] = np.asarray(ids, dtype=np.int64)
        self._alive[start : start + count] = True
        for offset, entry_id in enumerate(ids):
            self._row_of[int(entry_id)] = start + offset
        self._size += count

    def remove(self, ids: Iterable[int]) -> None:
        for entry_id in ids:
            row = self._row_of.pop(int(entry_id), None)
            if row is not None:
                self._alive[row] = False
        dead = self._size - len(self._row_of)
        if self._size and dead > _COMPACT_FRACTION * self._size:
            self._compact()

    def query(self, value: bytes, radius: int) -> Neighbours:
        return self.query_many([value], radius)[0]

    def query_many(self, values: Sequence[bytes], radius: int) -> list[Neighbours]:
        """All queries in one pass over the stored hashes (a block of queries at a time,
        so the distance matrix stays small)."""
        if not self._row_of or not len(values):
            return [EMPTY] * len(values)
        queries = as_words(values, self.width)
        stored, alive = self._words[:, : self._size], self._alive[: self._size]
        results: list[Neighbours] = []
        step = max(1, (1 << 20) // max(1, self._size))
        for start in range(0, queries.shape[0], step):
            block = queries[start : start + step]
            distances = np.zeros((block.shape[0], self._size), dtype=np.uint16)
            for word in range(self._words_per_hash):
                distances += np.bitwise_count(stored[word][None, :] ^ block[:, word][:, None])
            within = (distances <= radius) & alive[None, :]
            for row in range(block.shape[0]):
                hits = np.flatnonzero(within[row])
                results.append(Neighbours(self._ids[hits], distances[row, hits].astype(np.int32)))
        return results

    def memory_bytes(self) -> int:
        return int(self._words.nbytes + self._ids.nbytes + self._alive.nbytes)

    def _reserve(self, needed: int) -> None:
        capacity = self._words.shape[1]
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2, 1024)
        words = np.empty((self._words_per_hash, new_capacity), dtype=np.uint64)
        words[:, : self._size] = self._words[:, : self._size]
        ids = np.empty(new_capacity, dtype=np.int64)
        ids[: self._size] = self._ids[: self._size]
        alive = np.zeros(new_capacity, dtype=bool)
        alive[: self._size] = self._alive[: self._size]
        self._words, self._ids, self._alive = words, ids, alive

    def _compact(self) -> None:
        keep = np.flatnonzero(self._alive[: self._size])
        self._words[:, : keep.size] = self._words[:, keep]
        self._ids[: keep.size] = self._ids[keep]
        self._alive[: keep.size] = True
        self._alive[keep.size :] = False
        self._size = int(keep.size)
        self._row_of = {int(entry_id): row for row, entry_id in enumerate(self._ids[: self._size])}
