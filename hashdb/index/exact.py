"""Exact-match index for cryptographic digests: a dictionary, distance always 0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from hashdb.index.base import EMPTY, HammingIndex, Neighbours


class ExactIndex(HammingIndex):
    def __init__(self, bits: int) -> None:
        super().__init__(bits)
        self._ids_of: dict[bytes, set[int]] = {}
        self._hash_of: dict[int, bytes] = {}

    def __len__(self) -> int:
        return len(self._hash_of)

    def add(self, ids: Sequence[int] | np.ndarray, hashes: Sequence[bytes] | np.ndarray) -> None:
        self.remove(ids)
        for entry_id, value in zip(ids, hashes, strict=True):
            self._hash_of[int(entry_id)] = bytes(value)
            self._ids_of.setdefault(bytes(value), set()).add(int(entry_id))

    def remove(self, ids: Iterable[int]) -> None:
        for entry_id in ids:
            value = self._hash_of.pop(int(entry_id), None)
            if value is not None:
                holders = self._ids_of[value]
                holders.discard(int(entry_id))
                if not holders:
                    del self._ids_of[value]

    def query(self, value: bytes, radius: int) -> Neighbours:
        holders = self._ids_of.get(bytes(value))
        if not holders:
            return EMPTY
        ids = np.fromiter(sorted(holders), dtype=np.int64, count=len(holders))
        return Neighbours(ids, np.zeros(ids.size, dtype=np.int32))
