"""How multi-index hashing cuts a hash into substrings, which buckets a query probes, and how
bucket tables store row numbers compactly (:mod:`hashdb.index.mih` uses them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from hashdb.index.base import xor_masks

SUBSTRING_BITS = 16  # the shortest substring; hash widths must be a multiple of it
#: The longest substring: its bucket table has 2**21 entries (8 MiB). Where substrings this
#: long do not cover the hash, the last bits stay out of every substring (see Layout.even).
MAX_SUBSTRING_BITS = 21


@dataclass(frozen=True, slots=True)
class Layout:
    """How hashes are cut: substring ``i`` is bits ``[starts[i], starts[i] + lengths[i])``."""

    lengths: tuple[int, ...]
    starts: tuple[int, ...]
    bases: np.ndarray  # where each substring's bucket table begins in the flat offsets array

    @classmethod
    def even(cls, bits: int, substrings: int) -> Layout:
        """``substrings`` near-equal substrings covering the hash, or as much of it as
        substrings of at most ``MAX_SUBSTRING_BITS`` can. Leaving bits out keeps the search
        exact: the distances on the substrings add up to at most the whole distance, so the
        pigeonhole plan holds on them alone; it only lets a few more candidates through,
        where a 2**22-entry table per substring would cost 16 MiB each."""
        covered = min(bits, substrings * MAX_SUBSTRING_BITS)
        short, longer = divmod(covered, substrings)
        # Shorter substrings first: the pigeonhole plan gives the first ones the wider radius.
        lengths = (short,) * (substrings - longer) + (short + 1,) * longer
        starts = tuple(int(x) for x in np.cumsum((0, *lengths[:-1])))
        sizes = np.asarray([(1 << length) + 1 for length in lengths], dtype=np.int64)
        bases = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return cls(lengths, starts, bases)

    @classmethod
    def for_rows(cls, bits: int, rows: int) -> Layout:
        """Substrings of about log2(rows) bits (Norouzi et al.), 16 to 21 bits long."""
        target = math.log2(max(rows, 2))
        most = bits // SUBSTRING_BITS
        least = max(1, bits // MAX_SUBSTRING_BITS)
        return cls.even(bits, max(least, min(most, round(bits / target))))

    @property
    def table_size(self) -> int:
        return int(self.bases[-1]) + (1 << self.lengths[-1]) + 1

    def keys(self, words: np.ndarray) -> np.ndarray:
        """(n, m) substring keys of packed big-endian rows."""
        if words.shape[0] == 1:  # one query: a dozen shifts of one Python int beat numpy's
            value = int.from_bytes(words.astype(">u8").tobytes(), "big")
            end = 64 * words.shape[1]
            return np.asarray(
                [
                    [
                        (value >> (end - start - length)) & ((1 << length) - 1)
                        for start, length in zip(self.starts, self.lengths, strict=True)
                    ]
                ],
                dtype=np.int64,
            )
        keys = np.empty((words.shape[0], len(self.lengths)), dtype=np.int64)
        for index in range(len(self.lengths)):
            keys[:, index] = self.key_column(words, index)
        return keys

    def key_column(self, words: np.ndarray, index: int) -> np.ndarray:
        """Substring ``index``'s key of each packed big-endian row (int64)."""
        start, length = self.starts[index], self.lengths[index]
        word, offset = divmod(start, 64)
        if offset + length <= 64:
            part = words[:, word] >> np.uint64(64 - offset - length)
        else:
            low = offset + length - 64
            high = words[:, word] << np.uint64(low)
            part = high | (words[:, word + 1] >> np.uint64(64 - low))
        return (part & np.uint64((1 << length) - 1)).astype(np.int64)

    def plan(self, radius: int) -> tuple[np.ndarray, np.ndarray] | None:
        return probe_plan(self.lengths, radius)

    def expected_fraction(self, radius: int) -> float:
        """The share of all rows the probes of ``radius`` touch on random data."""
        return expected_fraction_of(self.lengths, radius)


@cache
def probe_plan(lengths: tuple[int, ...], radius: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(substring index, XOR mask) pairs a query at ``radius`` must look up; None if none."""
    per, extra = divmod(radius, len(lengths))
    subs: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    for index, length in enumerate(lengths):
        sub_radius = per if index <= extra else per - 1
        if sub_radius < 0:
            continue
        found = xor_masks(length, sub_radius)
        subs.append(np.full(found.size, index, dtype=np.int64))
        masks.append(found)
    if not subs:
        return None
    return np.concatenate(subs), np.concatenate(masks)


@cache
def expected_fraction_of(lengths: tuple[int, ...], radius: int) -> float:
    plan = probe_plan(lengths, radius)
    if plan is None:
        return 0.0
    # Cached: the plan holds one probe per mask, tens of thousands at a wide radius.
    return float(np.exp2(-np.asarray(lengths, dtype=np.float64)[plan[0]]).sum())


def bucket_sort(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows) sorted by key, rows ascending within a key: one sort of ``key << 32 |
    row`` (distinct values, so any sort is stable), numpy's SIMD sort rather than an
    argsort and two gathers."""
    combined = (keys << np.int64(32)) | rows.astype(np.int64)
    combined.sort()
    return combined >> np.int64(32), (combined & np.int64(0xFFFFFFFF)).astype(np.int32)


#: Row numbers below this are stored in three bytes: 12 substrings x 1e7 rows x 3 bytes.
PACKED_ROWS = 1 << 24


def pack_rows(rows: np.ndarray, packed: bool) -> np.ndarray:
    """Row numbers as stored in ``perm``: (n, 3) little-endian bytes, or int32."""
    if not packed:
        return rows.astype(np.int32)
    return np.ascontiguousarray(rows.astype("<u4").view(np.uint8).reshape(-1, 4)[:, :3])


def unpack_rows(stored: np.ndarray) -> np.ndarray:
    """Row numbers (int64) from what ``pack_rows`` stored."""
    if stored.ndim == 1 or stored.shape[-1] != 3 or stored.dtype != np.uint8:
        return stored.astype(np.int64)
    wide = np.zeros((stored.shape[0], 4), dtype=np.uint8)
    wide[:, :3] = stored
    return wide.view("<u4").reshape(-1).astype(np.int64)
