"""Multi-index hashing (Norouzi, Punjani, Fleet): exact Hamming range search without a full scan.

Each hash is cut into ``m`` substrings of about log2(N) bits, 16 to 21 (16 x 16 bits for a
small PDQ index, 12 x 21 bits at 1e7 hashes, the last 4 bits in no substring; re-cut each
time the index grows 4x).
By the pigeonhole principle, a hash within ``r`` bits of a query is within ``r // m`` bits
of it on at least one substring; more precisely, writing ``r = s*m + a``, it is within ``s``
bits on one of the first ``a + 1`` substrings or within ``s - 1`` bits on one of the others.
So a query looks up, for each substring, the buckets of every key within that radius of its
own key, and verifies the candidates found there with a full XOR + popcount. Nothing within
the radius is ever missed; at 1e7 hashes and radius 31 a query probes 1,944 buckets and
verifies ~9,300 candidates instead of scanning 10,000,000.

Layout (numpy, no per-hash Python objects):

* ``words``: the hashes as ``(rows, width/8)`` uint64, append-only; ``ids`` (int32 while
  every id fits, else int64) and ``alive`` alongside. Retiring an entry clears its
  ``alive`` flag (a tombstone); when a quarter of the rows are dead they are compacted away.
* the *static* part, rows ``[0, static)``: per substring a CSR bucket table, ``perm[s]``
  (row numbers sorted by that substring's key: 3 bytes per hash per substring below 2**24
  rows, int32 above) and its bucket starts (``2**length + 1`` int32: 96 MiB in all for the
  1e7 layout). About 78 bytes a hash at 1e7, 0.78 GiB (``bench/index_scale.py``).
* the *delta*, rows ``[static, rows)``: recent adds, scanned by brute force, so an added
  hash matches at once. When the delta outgrows a small bound it is merged into the static
  part in place (an ``O(N)`` insert of the new rows into each sorted bucket table), never
  rebuilt from the database.

When a radius is so wide that the buckets would hold more candidates than a quarter of the
hashes, or the index is small, a query scans every row instead: that is faster there.
Queries run concurrently with updates: they read an immutable snapshot of the static part,
and mutations hold a lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from hashdb.index.base import EMPTY, HammingIndex, Neighbours, as_words
from hashdb.index.mih_layout import (
    PACKED_ROWS,
    SUBSTRING_BITS,
    Layout,
    bucket_sort,
    pack_rows,
    unpack_rows,
)
from hashdb.index.mih_scan import row_distances, scan, split_by_query

#: Below this many rows a plain scan beats building bucket tables.
BUILD_MIN = 20_000
#: The delta is merged once it holds more than this many rows (or 1/16 of the static part).
DELTA_MAX = 65_536
_COMPACT_FRACTION = 0.25
#: Fall back to a scan when the estimated candidates exceed this fraction of the rows.
_SCAN_FRACTION = 0.25
#: Upper bound on candidates gathered at once by a batched query (bounds temporary memory).
_BATCH_CANDIDATES = 1_000_000
#: Merges of at least this many rows build the substrings' tables in parallel threads.
_PARALLEL_BUILD = 1_000_000


@dataclass(frozen=True, slots=True)
class _Static:
    """The merged part: rows ``[0, rows)`` bucketed by each substring."""

    rows: int
    #: Row numbers sorted by substring key, per substring: (m, rows, 3) uint8 while the rows
    #: fit in three bytes (``pack_rows``), else (m, rows) int32.
    perm: np.ndarray
    offsets: np.ndarray  # flat int32: bucket starts within perm[s], from layout.bases[s]
    layout: Layout
    layout_rows: int  # rows when the layout was chosen (it is re-chosen as the index grows)

    def rows_at(self, positions: np.ndarray) -> np.ndarray:
        """The row numbers at flat positions ``s * rows + i`` of ``perm``."""
        flat = self.perm.reshape(-1, *self.perm.shape[2:])
        return unpack_rows(np.take(flat, positions, axis=0))


_NO_STATIC = _Static(
    0,
    np.empty((0, 0), dtype=np.int32),
    np.empty(0, dtype=np.int32),
    Layout.even(SUBSTRING_BITS, 1),
    0,
)
_MAX_ROWS = 2**31 - 1  # row numbers and bucket offsets are int32
_ID_MIN, _ID_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max


class MultiIndexHashIndex(HammingIndex):
    def __init__(
        self,
        bits: int,
        *,
        build_min: int = BUILD_MIN,
        delta_max: int = DELTA_MAX,
        substrings: int | None = None,
    ) -> None:
        super().__init__(bits)
        self._build_min = build_min
        self._delta_max = delta_max
        if bits % SUBSTRING_BITS:
            raise ValueError(f"multi-index hashing needs a multiple of {SUBSTRING_BITS} bits")
        self._fixed_layout = None if substrings is None else Layout.even(bits, substrings)
        self._wpr = -(-self.width // 8)  # uint64 words per row
        self._words = np.empty((0, self._wpr), dtype=np.uint64)
        #: Entry ids, int32 while every id fits (4 bytes a hash fewer), else int64.
        self._ids = np.empty(0, dtype=np.int32)
        self._alive = np.empty(0, dtype=bool)
        self._rows = 0
        self._live = 0
        self._ids_sorted = True  # ids[:rows] ascending: look ups are a binary search
        self._sorter: np.ndarray | None = None
        self._static = _NO_STATIC
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self._live

    # --- updates ------------------------------------------------------------------------

    def add(self, ids: Sequence[int] | np.ndarray, hashes: Sequence[bytes] | np.ndarray) -> None:
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        if id_array.size != len(hashes):
            raise ValueError("ids and hashes differ in length")
        if not id_array.size:
            return
        words = as_words(hashes, self.width)
        with self._lock:
            # The last occurrence of an id in the batch wins, as with repeated single adds.
            _, last = np.unique(id_array[::-1], return_index=True)
            if last.size != id_array.size:
                keep = np.sort(id_array.size - 1 - last)
                id_array, words = id_array[keep], words[keep]
            rows = self._find_rows(id_array)
            present = rows >= 0
            if present.any():
                same = np.all(self._words[rows[present]] == words[present], axis=1)
                unchanged = np.zeros(id_array.size, dtype=bool)
                unchanged[np.flatnonzero(present)[same]] = True
                self._kill(rows[present & ~unchanged])
                id_array, words = id_array[~unchanged], words[~unchanged]
            if id_array.size:
                self._append(id_array, words)
            self._maybe_compact()

    def remove(self, ids: Iterable[int]) -> None:
        id_array = np.fromiter((int(entry_id) for entry_id in ids), dtype=np.int64)
        if not id_array.size:
            return
        with self._lock:
            rows = self._find_rows(np.unique(id_array))
            self._kill(rows[rows >= 0])
            self._maybe_compact()

    def flush(self) -> None:
        """Merge pending adds into the bucket tables now (e.g. after a bulk load)."""
        with self._lock:
            if self._rows >= self._build_min and self._rows > self._static.rows:
                self._merge()

    def _append(self, ids: np.ndarray, words: np.ndarray) -> None:
        count = ids.size
        needed = self._rows + count
        if needed > _MAX_ROWS:
            raise ValueError(f"an index holds at most {_MAX_ROWS} rows")
        id_type: np.dtype[Any] = self._ids.dtype
        if id_type == np.int32 and (ids.min() < _ID_MIN or ids.max() > _ID_MAX):
            id_type = np.dtype(np.int64)
            self._ids = self._ids.astype(np.int64)
        if needed > self._words.shape[0]:
            capacity = max(needed, self._words.shape[0] + self._words.shape[0] // 2, 1024)
            grown = np.empty((capacity, self._wpr), dtype=np.uint64)
            grown[: self._rows] = self._words[: self._rows]
            grown_ids = np.empty(capacity, dtype=id_type)
            grown_ids[: self._rows] = self._ids[: self._rows]
            grown_alive = np.zeros(capacity, dtype=bool)
            grown_alive[: self._rows] = self._alive[: self._rows]
            self._words, self._ids, self._alive = grown, grown_ids, grown_alive
        start = self._rows
        if self._ids_sorted and (
            (start and ids[0] <= self._ids[start - 1]) or np.any(np.diff(ids) <= 0)
        ):
            self._ids_sorted = False
        self._sorter = None
        self._words[start:needed] = words
        self._ids[start:needed] = ids
        self._alive[start:needed] = True
        self._rows = needed
        self._live += count

    def _kill(self, rows: np.ndarray) -> None:
        if rows.size:
            self._alive[rows] = False
            self._live -= int(rows.size)

    def _find_rows(self, ids: np.ndarray) -> np.ndarray:
        """The live row holding each id, or -1."""
        found = np.full(ids.size, -1, dtype=np.int64)
        if not self._rows:
            return found
        stored = self._ids[: self._rows]
        if stored.dtype == np.int32:  # an id outside int32 cannot be stored: look up the rest
            inside = (ids >= _ID_MIN) & (ids <= _ID_MAX)
            if not inside.all():
                found[inside] = self._find_rows(ids[inside])
                return found
            ids = ids.astype(np.int32)
        sorter = None
        if not self._ids_sorted:
            if self._sorter is None:
                self._sorter = np.argsort(stored, kind="stable")
            sorter = self._sorter
        left = np.searchsorted(stored, ids, side="left", sorter=sorter)
        right = np.searchsorted(stored, ids, side="right", sorter=sorter)
        for position in np.flatnonzero(right > left):
            for slot in range(int(left[position]), int(right[position])):
                row = int(slot if sorter is None else sorter[slot])
                if self._alive[row]:
                    found[position] = row
                    break
        return found

    def _maybe_compact(self) -> None:
        dead = self._rows - self._live
        if self._rows and dead > _COMPACT_FRACTION * self._rows:
            keep = np.flatnonzero(self._alive[: self._rows])
            self._words = np.ascontiguousarray(self._words[keep])
            self._ids = self._ids[keep]
            self._alive = np.ones(keep.size, dtype=bool)
            self._rows = self._live = int(keep.size)
            self._ids_sorted = bool(np.all(np.diff(self._ids) > 0))
            self._sorter = None
            self._static = _NO_STATIC
            if self._rows >= self._build_min:
                self._merge()

    def _merge(self) -> None:
        static = self._static
        start, stop = static.rows, self._rows
        if stop == start:
            return
        layout = self._fixed_layout or Layout.for_rows(self.bits, stop)
        if start and (
            self._fixed_layout
            or stop < 4 * static.layout_rows
            or layout.lengths == static.layout.lengths
        ):
            layout = static.layout  # keep the layout: insert the new rows in place
        elif start:
            start = 0  # grown 4x: re-cut with longer substrings (amortised O(1) per add)
        packed = stop <= PACKED_ROWS
        if start and packed != (static.perm.ndim == 3):
            start = 0  # outgrew three-byte row numbers: rebuild with int32 ones
        words = self._words[start:stop]
        new_rows = np.arange(start, stop, dtype=np.int32)
        m = len(layout.lengths)
        perm = np.empty(
            (m, stop, 3) if packed else (m, stop), dtype=np.uint8 if packed else np.int32
        )
        offsets = np.empty(layout.table_size, dtype=np.int32)

        def bucket(sub: int) -> None:
            length = layout.lengths[sub]
            base, size = int(layout.bases[sub]), (1 << length) + 1
            sorted_keys, sorted_rows = bucket_sort(layout.key_column(words, sub), new_rows)
            counts = np.bincount(sorted_keys, minlength=size - 1)
            table = offsets[base : base + size]
            table[0] = 0
            if start == 0:
                perm[sub] = pack_rows(sorted_rows, packed)
                np.cumsum(counts, out=table[1:])
            else:
                old = static.offsets[base : base + size]
                at = old[sorted_keys + 1]  # the end of each new row's bucket
                perm[sub] = np.insert(static.perm[sub], at, pack_rows(sorted_rows, packed), axis=0)
                table[1:] = old[1:] + np.cumsum(counts)

        # numpy sorts without the GIL: the substrings' tables are built on every core.
        if stop - start >= _PARALLEL_BUILD:
            with ThreadPoolExecutor(max(1, min(m, os.cpu_count() or 1))) as pool:
                list(pool.map(bucket, range(m)))
        else:
            for sub in range(m):
                bucket(sub)
        layout_rows = stop if start == 0 else static.layout_rows
        self._static = _Static(stop, perm, offsets, layout, layout_rows)

    def _delta_limit(self, static_rows: int) -> int:
        return max(self._build_min, min(self._delta_max, static_rows // 16))

    def _snapshot(self) -> tuple[_Static, int, np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            if self._rows >= self._build_min and self._rows - self._static.rows > self._delta_limit(
                self._static.rows
            ):
                self._merge()
            return self._static, self._rows, self._words, self._ids, self._alive

    # --- queries ------------------------------------------------------------------------

    def query(self, value: bytes, radius: int) -> Neighbours:
        return self.query_many([value], radius)[0]

    def query_many(self, values: Sequence[bytes], radius: int) -> list[Neighbours]:
        if not values:
            return []
        if not self._live or radius < 0:
            return [EMPTY] * len(values)
        static, rows, words, ids, alive = self._snapshot()
        queries = as_words(values, self.width)
        # Where the buckets would hold most rows anyway, one scan of everything is cheaper.
        # (A small index has no bucket tables: it never builds a probe plan, whose masks take
        # a sizeable part of a one-file command's time at a wide radius.)
        use_buckets = static.rows > 0 and static.layout.expected_fraction(radius) <= _SCAN_FRACTION
        scan_from = static.rows if use_buckets else 0
        hit_q: list[np.ndarray] = []
        hit_rows: list[np.ndarray] = []
        hit_dist: list[np.ndarray] = []
        if use_buckets:
            plan = static.layout.plan(radius)
            assert plan is not None  # a radius >= 0 always probes the first substring
            starts, lengths = self._buckets(static, queries, plan)
            # Chunks of queries holding at most _BATCH_CANDIDATES candidates (at least one
            # query each): clustered data can put thousands of candidates behind one query.
            totals = np.cumsum(lengths.sum(axis=1))
            begin = 0
            while begin < queries.shape[0]:
                done = int(totals[begin - 1]) if begin else 0
                end = int(np.searchsorted(totals, done + _BATCH_CANDIDATES, side="right"))
                end = max(end, begin + 1)
                found = self._probe(
                    static,
                    words,
                    queries[begin:end],
                    starts[begin:end],
                    lengths[begin:end],
                    radius,
                )
                hit_q.append(found[0] + begin)
                hit_rows.append(found[1])
                hit_dist.append(found[2])
                begin = end
        if scan_from < rows:
            found = scan(words[scan_from:rows], queries, radius)
            hit_q.append(found[0])
            hit_rows.append(found[1] + scan_from)
            hit_dist.append(found[2])
        return split_by_query(queries.shape[0], hit_q, hit_rows, hit_dist, ids, alive)

    def _buckets(
        self, static: _Static, queries: np.ndarray, plan: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(q, probes) start positions in ``perm.ravel()`` and lengths of every bucket probed."""
        subs, masks = plan
        keys = static.layout.keys(queries)  # (q, m)
        flat = static.layout.bases[subs] + (keys[:, subs] ^ masks)  # (q, p) into offsets
        offsets = static.offsets
        starts = offsets[flat].astype(np.int64)
        lengths = offsets[flat + 1] - starts
        return starts + subs * static.rows, lengths

    def _probe(
        self,
        static: _Static,
        words: np.ndarray,
        queries: np.ndarray,
        starts: np.ndarray,
        lengths: np.ndarray,
        radius: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        probes = lengths.shape[1]
        starts, lengths = starts.ravel(), lengths.ravel()
        total = int(lengths.sum())
        if not total:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty.astype(np.int32)
        ends = np.cumsum(lengths)
        positions = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
        candidate_rows = static.rows_at(positions)
        owner = np.repeat(np.repeat(np.arange(queries.shape[0], dtype=np.int64), probes), lengths)
        candidates = np.take(words, candidate_rows, axis=0)  # take: ~10x faster than [rows]
        if queries.shape[0] == 1:
            distances = row_distances(candidates, queries[0])
        else:
            distances = row_distances(candidates, np.take(queries, owner, axis=0))
        close = distances <= radius
        # A hash close on several substrings is found several times: keep one of each.
        pair = owner[close] * static.rows + candidate_rows[close]
        pair, first = np.unique(pair, return_index=True)
        return pair // static.rows, pair % static.rows, distances[close][first]

    def memory_bytes(self) -> int:
        static = self._static
        return int(
            self._words.nbytes
            + self._ids.nbytes
            + self._alive.nbytes
            + static.perm.nbytes
            + static.offsets.nbytes
            + (self._sorter.nbytes if self._sorter is not None else 0)
        )
