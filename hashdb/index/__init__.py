"""Hamming indexes by kind. ``make_index`` picks the right one for an algorithm."""

from __future__ import annotations

from hashdb.hashing.base import HashAlgorithm
from hashdb.index.base import HammingIndex, Neighbours
from hashdb.index.brute import BruteForceIndex
from hashdb.index.exact import ExactIndex
from hashdb.index.mih import MultiIndexHashIndex
from hashdb.index.mih_layout import SUBSTRING_BITS


def make_index(algorithm: HashAlgorithm) -> HammingIndex:
    if algorithm.exact:
        return ExactIndex(algorithm.bits)
    if algorithm.bits % SUBSTRING_BITS == 0:
        # Scans while small, multi-index hashing once big enough (see hashdb/index/mih.py).
        return MultiIndexHashIndex(algorithm.bits)
    return BruteForceIndex(algorithm.bits)


__all__ = [
    "BruteForceIndex",
    "ExactIndex",
    "HammingIndex",
    "MultiIndexHashIndex",
    "Neighbours",
    "make_index",
]
