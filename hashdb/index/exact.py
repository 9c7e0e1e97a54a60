"""Exact-match index for cryptographic digests (MD5, SHA-256): sorted numpy arrays, distance 0.

A query finds the entries whose digest equals it, whatever the radius (these algorithms only
ever match exactly). Duplicated digests (one file on several lists) return every id, sorted.

Layout (no per-hash Python objects: 53 bytes per SHA-256 entry, 37 per MD5, 8 more while ids
are out of order):

* ``words``: the digests as ``(rows, width/8)`` uint64 rows, append-only, with ``ids`` and an
  ``alive`` flag alongside. Removing or replacing an entry clears its flag (a tombstone); when
  a quarter of the rows are dead they are compacted away and the arrays re-sorted.
* the *static* part, rows ``[0, static)``: ``keys``, the first 64 bits of each digest, sorted,
  with ``order``, the row each key came from (int32). A query is a binary search
  (:func:`numpy.searchsorted`) for its first 64 bits, then a check of the full digest of the
  (almost always zero or one) rows found.
* the *delta*, rows ``[static, rows)``: recent single adds, found through a small dictionary
  so they match at once. When it outgrows a bound (1/16 of the static part, 4,096 to 65,536
  rows) it is merged into the sorted arrays in ``O(N + k log k)`` (an insert of the new rows'
  sorted keys), never rebuilt from scratch. A large batch (the start-up load) skips the
  dictionary and is merged at once.

Ids are looked up (to replace or remove an entry) by binary search too: over ``ids`` directly
while they are appended in ascending order, as the start-up load and new entries are, or
through an id sort order (``intp``) kept alongside, and merged like the keys, once they are
not. Updates and queries hold one lock; a query is a few binary searches, so it holds it
briefly.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence

import numpy as np

from hashdb.index.base import EMPTY, HammingIndex, Neighbours, as_words

#: The delta is merged into the sorted arrays past 1/16 of the static rows, within these bounds.
DELTA_MIN = 4_096
DELTA_MAX = 65_536
_COMPACT_FRACTION = 0.25
#: Batches up to this size go item by item: numpy's per-call cost dominates small arrays.
_SMALL = 16
_MAX_ROWS = 2**31 - 1  # rows are numbered in int32


class ExactIndex(HammingIndex):
    def __init__(
        self, bits: int, *, delta_min: int = DELTA_MIN, delta_max: int = DELTA_MAX
    ) -> None:
        super().__init__(bits)
        self._delta_min = delta_min
        self._delta_max = delta_max
        self._wpr = -(-self.width // 8)  # uint64 words per row
        self._words = np.empty((0, self._wpr), dtype=np.uint64)
        self._ids = np.empty(0, dtype=np.int64)
        self._alive = np.empty(0, dtype=bool)
        self._rows = 0
        self._live = 0
        # The static part: rows [0, static) sorted by their first word.
        self._static = 0
        self._keys = np.empty(0, dtype=np.uint64)
        self._order = np.empty(0, dtype=np.int32)
        #: None while ids[:static] ascend; else the rows of ids[:static] in id order.
        self._id_order: np.ndarray | None = None
        # The delta: live rows [static, rows) by digest and by id.
        self._delta_rows: dict[bytes, list[int]] = {}
        self._delta_ids: dict[int, int] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self._live

    # --- updates ------------------------------------------------------------------------

    def add(self, ids: Sequence[int] | np.ndarray, hashes: Sequence[bytes] | np.ndarray) -> None:
        if len(ids) != len(hashes):
            raise ValueError("ids and hashes differ in length")
        if not len(ids):
            return
        if len(ids) <= _SMALL:  # the change feed: one entry at a time
            values = [self._checked(bytes(value)) for value in hashes]
            with self._lock:
                for entry_id, value in zip(ids, values, strict=True):
                    self._add_one(int(entry_id), value)
                if self._rows - self._static > self._delta_limit():
                    self._merge()
                self._maybe_compact()
            return
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        words = as_words(hashes, self.width)
        with self._lock:
            # The last occurrence of an id in the batch wins, as with repeated single adds.
            _, last = np.unique(id_array[::-1], return_index=True)
            if last.size != id_array.size:
                keep = np.sort(id_array.size - 1 - last)
                id_array, words = id_array[keep], words[keep]
            bulk = id_array.size > self._delta_limit()
            if bulk:
                self._merge()  # the delta dictionaries are empty now: one vectorised look-up
            rows = self._find_rows(id_array)
            present = rows >= 0
            if present.any():
                same = np.all(self._words[rows[present]] == words[present], axis=1)
                unchanged = np.zeros(id_array.size, dtype=bool)
                unchanged[np.flatnonzero(present)[same]] = True  # a replayed add
                self._kill(rows[present & ~unchanged])
                id_array, words = id_array[~unchanged], words[~unchanged]
            if not id_array.size:
                return
            start = self._append(id_array, words)
            if bulk or self._rows - self._static > self._delta_limit():
                self._merge()
            else:
                for offset, entry_id in enumerate(id_array.tolist()):
                    row = start + offset
                    self._delta_rows.setdefault(self._digest(row), []).append(row)
                    self._delta_ids[entry_id] = row
            self._maybe_compact()

    def remove(self, ids: Iterable[int]) -> None:
        id_list = [int(entry_id) for entry_id in ids]
        if not id_list:
            return
        with self._lock:
            if len(id_list) <= _SMALL:
                for entry_id in id_list:
                    row = self._find_row(entry_id)
                    if row >= 0:
                        self._kill_row(row)
            else:
                rows = self._find_rows(np.unique(np.asarray(id_list, dtype=np.int64)))
                self._kill(rows[rows >= 0])
            self._maybe_compact()

    def flush(self) -> None:
        """Merge the delta into the sorted arrays now (after a bulk load)."""
        with self._lock:
            self._merge()

    def _delta_limit(self) -> int:
        return min(self._delta_max, max(self._delta_min, self._static // 16))

    def _checked(self, value: bytes) -> bytes:
        if len(value) != self.width:
            raise ValueError(f"a digest here is {self.width} bytes, not {len(value)}")
        return value

    def _words_of(self, value: bytes) -> np.ndarray:
        """One digest as a (1, words) row, like a row of ``words``."""
        return np.frombuffer(value.ljust(self._wpr * 8, b"\0"), dtype=">u8").reshape(1, -1)

    def _add_one(self, entry_id: int, value: bytes) -> None:
        row = self._find_row(entry_id)
        if row >= 0:
            if self._digest(row) == value:
                return  # a replayed add
            self._kill_row(row)
        row = self._append(np.asarray([entry_id], dtype=np.int64), self._words_of(value))
        self._delta_rows.setdefault(value, []).append(row)
        self._delta_ids[entry_id] = row

    def _digest(self, row: int) -> bytes:
        digest: bytes = self._words[row].astype(">u8").tobytes()[: self.width]
        return digest

    def _append(self, ids: np.ndarray, words: np.ndarray) -> int:
        start, needed = self._rows, self._rows + ids.size
        if needed > _MAX_ROWS:
            raise ValueError(f"an index holds at most {_MAX_ROWS} rows")
        if needed > self._words.shape[0]:
            capacity = max(needed, self._words.shape[0] + self._words.shape[0] // 2, 1024)
            grown = np.empty((capacity, self._wpr), dtype=np.uint64)
            grown[:start] = self._words[:start]
            grown_ids = np.empty(capacity, dtype=np.int64)
            grown_ids[:start] = self._ids[:start]
            grown_alive = np.zeros(capacity, dtype=bool)
            grown_alive[:start] = self._alive[:start]
            self._words, self._ids, self._alive = grown, grown_ids, grown_alive
        self._words[start:needed] = words
        self._ids[start:needed] = ids
        self._alive[start:needed] = True
        self._rows = needed
        self._live += ids.size
        return start

    def _kill(self, rows: np.ndarray) -> None:
        if not rows.size:
            return
        self._alive[rows] = False
        self._live -= int(rows.size)
        for row in rows[rows >= self._static].tolist():
            self._forget(row)

    def _kill_row(self, row: int) -> None:
        self._alive[row] = False
        self._live -= 1
        if row >= self._static:
            self._forget(row)

    def _forget(self, row: int) -> None:
        """Drop a delta row from the delta's dictionaries."""
        del self._delta_ids[int(self._ids[row])]
        digest = self._digest(row)
        holders = self._delta_rows[digest]
        holders.remove(row)
        if not holders:
            del self._delta_rows[digest]

    def _find_row(self, entry_id: int) -> int:
        """The live row holding one id, or -1."""
        row = self._delta_ids.get(entry_id)
        if row is not None:
            return row
        if not self._static:
            return -1
        stored, order = self._ids[: self._static], self._id_order
        left = int(stored.searchsorted(entry_id, side="left", sorter=order))
        right = int(stored.searchsorted(entry_id, side="right", sorter=order))
        for slot in range(left, right):
            row = slot if order is None else int(order[slot])
            if self._alive[row]:
                return row
        return -1

    def _find_rows(self, ids: np.ndarray) -> np.ndarray:
        """The live row holding each id, or -1."""
        found = np.full(ids.size, -1, dtype=np.int64)
        if self._static:
            stored = self._ids[: self._static]
            sorter = self._id_order
            left = np.searchsorted(stored, ids, side="left", sorter=sorter)
            right = np.searchsorted(stored, ids, side="right", sorter=sorter)
            # An id has one live row, and maybe dead ones (replaced): look at every slot.
            for width in range(1, int((right - left).max(initial=0)) + 1):
                hit = np.flatnonzero((right - left >= width) & (found < 0))
                if not hit.size:
                    continue
                slots = left[hit] + width - 1
                rows = slots if sorter is None else sorter[slots].astype(np.int64)
                live = self._alive[rows]
                found[hit[live]] = rows[live]
        if self._delta_ids:
            for position, entry_id in enumerate(ids.tolist()):
                row = self._delta_ids.get(entry_id)
                if row is not None:
                    found[position] = row
        return found

    def _merge(self) -> None:
        """Sort the delta's live rows into ``keys``/``order`` and the id order; clear it."""
        start, stop = self._static, self._rows
        if stop == start:
            return
        new_rows = start + np.flatnonzero(self._alive[start:stop])
        new_keys = self._words[new_rows, 0]
        by_key = np.argsort(new_keys)
        new_keys, by_key_rows = new_keys[by_key], new_rows[by_key].astype(np.int32)
        if start == 0:
            self._keys, self._order = new_keys, by_key_rows
        else:
            at = np.searchsorted(self._keys, new_keys, side="right")
            self._keys = np.insert(self._keys, at, new_keys)
            self._order = np.insert(self._order, at, by_key_rows)
        self._id_order = self._merged_id_order(start, stop)
        self._static = stop
        self._delta_rows.clear()
        self._delta_ids.clear()

    def _merged_id_order(self, start: int, stop: int) -> np.ndarray | None:
        # intp, not int32: numpy casts any other sorter, a copy of N rows on every search.
        ids = self._ids
        order = self._id_order
        if order is None:
            ascending = bool(np.all(ids[start + 1 : stop] > ids[start : stop - 1]))
            if ascending and (start == 0 or ids[start] > ids[start - 1]):
                return None
            if start == 0:
                return np.argsort(ids[:stop], kind="stable").astype(np.intp)
            order = np.arange(start, dtype=np.intp)
        new = np.arange(start, stop, dtype=np.intp)
        new = new[np.argsort(ids[start:stop], kind="stable")]
        at = np.searchsorted(ids[:start], ids[new], side="right", sorter=order)
        return np.insert(order, at, new)

    def _maybe_compact(self) -> None:
        dead = self._rows - self._live
        if not self._rows or dead <= _COMPACT_FRACTION * self._rows:
            return
        keep = np.flatnonzero(self._alive[: self._rows])
        self._words = np.ascontiguousarray(self._words[keep])
        self._ids = self._ids[keep]
        self._alive = np.ones(keep.size, dtype=bool)
        self._rows = self._live = int(keep.size)
        self._static = 0
        self._id_order = None
        self._delta_rows.clear()
        self._delta_ids.clear()
        self._merge()

    # --- queries ------------------------------------------------------------------------

    def query(self, value: bytes, radius: int) -> Neighbours:
        return self.query_many([value], radius)[0]

    def query_many(self, values: Sequence[bytes], radius: int) -> list[Neighbours]:
        if not values:
            return []
        if not self._live or radius < 0:
            return [EMPTY] * len(values)
        if len(values) <= _SMALL:
            checked = [self._checked(bytes(value)) for value in values]
            with self._lock:
                return [self._query_one(value) for value in checked]
        queries = as_words(values, self.width)
        if queries.shape[0] != len(values):
            raise ValueError(f"every queried digest must be {self.width} bytes")
        owners: list[np.ndarray] = []
        found: list[np.ndarray] = []
        with self._lock:
            if self._static:
                # Sorted needles search faster (numpy narrows each search from the last one);
                # the end of a run of equal keys is looked for only where the key is present.
                by_key = np.argsort(queries[:, 0])
                keys = queries[by_key, 0]
                left = np.searchsorted(self._keys, keys, side="left")
                inside = np.flatnonzero(left < self._keys.size)
                present = inside[self._keys[left[inside]] == keys[inside]]
                if present.size:
                    left = left[present]
                    counts = np.searchsorted(self._keys, keys[present], side="right") - left
                    ends = np.cumsum(counts)
                    slots = np.arange(int(ends[-1])) + np.repeat(left - (ends - counts), counts)
                    rows = self._order[slots]
                    owner = np.repeat(by_key[present], counts)
                    hit = self._alive[rows] & np.all(self._words[rows] == queries[owner], axis=1)
                    owners.append(owner[hit])
                    found.append(self._ids[rows[hit]])
            if self._delta_rows:
                for position, value in enumerate(values):
                    delta = self._delta_rows.get(bytes(value))
                    if delta:
                        owners.append(np.full(len(delta), position))
                        found.append(self._ids[delta])
        return _split(len(values), owners, found)

    def _query_one(self, value: bytes) -> Neighbours:
        found: list[int] = []
        keys = self._keys
        if self._static:
            key = np.uint64(int.from_bytes(value[:8].ljust(8, b"\0"), "big"))
            left = int(keys.searchsorted(key, side="left"))
            if left < keys.size and keys[left] == key:
                right = int(keys.searchsorted(key, side="right"))
                words = self._words_of(value).astype(np.uint64).tobytes()
                for row in self._order[left:right].tolist():
                    if self._alive[row] and self._words[row].tobytes() == words:
                        found.append(int(self._ids[row]))
        delta = self._delta_rows.get(value)
        if delta:
            found.extend(int(self._ids[row]) for row in delta)
        if not found:
            return EMPTY
        found.sort()
        return Neighbours(np.asarray(found, dtype=np.int64), np.zeros(len(found), dtype=np.int32))

    def memory_bytes(self) -> int:
        # The delta dictionaries: about 200 bytes per row (a key, a list, two dict slots).
        delta = 200 * len(self._delta_ids)
        id_order = self._id_order.nbytes if self._id_order is not None else 0
        arrays = self._words.nbytes + self._ids.nbytes + self._alive.nbytes
        return int(arrays + self._keys.nbytes + self._order.nbytes + id_order + delta)


def _split(count: int, owners: list[np.ndarray], found: list[np.ndarray]) -> list[Neighbours]:
    """Per query, its ids in ascending order (distance 0)."""
    if not owners:
        return [EMPTY] * count
    owner = np.concatenate(owners)
    ids = np.concatenate(found)
    if not ids.size:
        return [EMPTY] * count
    order = np.lexsort((ids, owner))
    owner, ids = owner[order], ids[order]
    bounds = np.searchsorted(owner, np.arange(count + 1))
    zeros = np.zeros(ids.size, dtype=np.int32)
    return [
        Neighbours(ids[lo:hi], zeros[lo:hi]) if hi > lo else EMPTY
        for lo, hi in itertools.pairwise(bounds.tolist())
    ]
