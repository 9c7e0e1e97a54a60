"""A second way to find candidates: votes of ORB descriptors, for edits PDQ cannot bridge.

A picture cropped and captioned, or shown small inside a screenshot, can land a hundred PDQ
bits from every reference row, yet most of its keypoints still match the reference's. Each
reference's ORB descriptors are filed under a few short keys (fixed bit samples of the 256-bit
descriptor, locality-sensitive hashing); a query descriptor votes for every reference that
filed one of its keys, once per reference. References with enough votes become candidates
for the same geometric check as the PDQ candidates: the votes only choose what to verify.

Memory: ``TABLES`` keys of 12 bytes (key + entry id) per indexed keypoint, at most
``PER_REFERENCE`` keypoints per reference (about 10 KB per reference).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

#: Bit-sample tables and bits per key.
TABLES = 3
KEY_BITS = 18
#: Keypoints of a reference that are indexed (the stored ones, spread over a grid).
PER_REFERENCE = 300

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
    """Entry id -> descriptor keys, searchable as one sorted array (rebuilt when changed)."""

    def __init__(self) -> None:
        self._keys: dict[int, np.ndarray] = {}
        self._sorted = np.empty(0, dtype=np.int64)
        self._owners = np.empty(0, dtype=np.int64)
        self._dirty = False
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, entry_id: int, descriptors: np.ndarray) -> None:
        keys = descriptor_keys(descriptors[:PER_REFERENCE])
        with self._lock:
            self._keys[entry_id] = np.unique(keys.ravel())
            self._dirty = True

    def remove(self, entry_ids: Iterable[int]) -> None:
        with self._lock:
            for entry_id in entry_ids:
                if self._keys.pop(entry_id, None) is not None:
                    self._dirty = True

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self._dirty:
                ids = list(self._keys)
                keys = [self._keys[entry_id] for entry_id in ids]
                flat = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
                owners = np.repeat(np.asarray(ids, dtype=np.int64), [k.size for k in keys])
                order = np.argsort(flat, kind="stable")
                self._sorted, self._owners = flat[order], owners[order]
                self._dirty = False
            return self._sorted, self._owners

    def votes(self, descriptors: np.ndarray, min_votes: int) -> list[tuple[int, int]]:
        """(entry id, votes) with at least ``min_votes`` query descriptors sharing a key with
        the entry (each descriptor counted once per entry), most votes first."""
        keys_sorted, owners = self._arrays()
        if not keys_sorted.size or not descriptors.shape[0]:
            return []
        keys = descriptor_keys(descriptors)
        flat = keys.ravel()
        low = np.searchsorted(keys_sorted, flat, side="left")
        high = np.searchsorted(keys_sorted, flat, side="right")
        counts = high - low
        total = int(counts.sum())
        if not total:
            return []
        # Positions low..high-1 for every probe, without a Python loop.
        starts = np.repeat(low - np.cumsum(counts) + counts, counts)
        positions = starts + np.arange(total)
        voters = np.repeat(np.arange(flat.size) // keys.shape[1], counts)
        pairs = np.unique(voters * (int(owners.max()) + 1) + owners[positions])
        entries = pairs % (int(owners.max()) + 1)
        found, tally = np.unique(entries, return_counts=True)
        keep = tally >= min_votes
        ranked = sorted(
            zip(found[keep].tolist(), tally[keep].tolist(), strict=True),
            key=lambda pair: (-pair[1], pair[0]),
        )
        return [(int(entry_id), int(count)) for entry_id, count in ranked]
