"""The index extension point: exact Hamming range search over fixed-width hashes.

An index is a cache, never the record: it is fed ``(entry id, hash bytes)`` pairs built from
database rows and updated in place as entries are added or retired. Every implementation must
return exactly what :class:`~hashdb.index.brute.BruteForceIndex` returns (tests check this).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Entries within a radius of one query: parallel arrays of ids and distances."""

    ids: np.ndarray  # int64
    distances: np.ndarray  # int32

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.ids.tolist(), self.distances.tolist(), strict=True))


EMPTY = Neighbours(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32))


class HammingIndex(ABC):
    """Range search: every stored hash within ``radius`` bits (inclusive) of a query."""

    def __init__(self, bits: int) -> None:
        if bits % 8:
            raise ValueError("hash width must be a whole number of bytes")
        self.bits = bits

    @property
    def width(self) -> int:
        return self.bits // 8

    @abstractmethod
    def add(self, ids: Sequence[int] | np.ndarray, hashes: Sequence[bytes] | np.ndarray) -> None:
        """Add entries; adding an id that is already present replaces its hash.

        ``hashes`` may also be an ``(n, width)`` uint8 array (bulk loads skip per-hash objects).
        """

    @abstractmethod
    def remove(self, ids: Iterable[int]) -> None:
        """Remove entries by id; unknown ids are ignored."""

    @abstractmethod
    def query(self, value: bytes, radius: int) -> Neighbours:
        """All entries with Hamming distance <= radius, in no particular order."""

    def query_many(self, values: Sequence[bytes], radius: int) -> list[Neighbours]:
        return [self.query(value, radius) for value in values]

    @abstractmethod
    def __len__(self) -> int: ...

    def flush(self) -> None:
        """Fold pending adds into the index's fast structures now (after a bulk load)."""
        return None

    def memory_bytes(self) -> int:
        """Approximate bytes held by the index structures (for benchmarks and /metrics)."""
        return 0


def as_words(hashes: Sequence[bytes] | np.ndarray, width: int) -> np.ndarray:
    """Pack hashes of ``width`` bytes into a C-contiguous (n, width // 8) uint64 array.

    Big-endian words keep bit order irrelevant for distances while letting one XOR +
    popcount cover 64 bits at a time.
    """
    if isinstance(hashes, np.ndarray):
        raw = np.ascontiguousarray(hashes, dtype=np.uint8).reshape(-1, width)
    else:
        raw = np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, width)
    if width % 8:
        pad = np.zeros((raw.shape[0], 8 - width % 8), dtype=np.uint8)
        raw = np.hstack([raw, pad])
    return np.ascontiguousarray(raw).view(">u8").astype(np.uint64)


@cache
def xor_masks(length: int, radius: int) -> np.ndarray:
    """Every XOR mask over ``length`` bits with at most ``radius`` bits set (int64, the empty
    mask first): the substring probes of the pigeonhole principle. Read-only: cached."""
    masks = [0]
    for weight in range(1, min(radius, length) + 1):
        for bits in itertools.combinations(range(length), weight):
            masks.append(sum(1 << bit for bit in bits))
    found = np.asarray(masks, dtype=np.int64)
    found.flags.writeable = False
    return found
