"""Hamming indexes by kind. ``make_index`` picks the right one for an algorithm."""

from __future__ import annotations

from hashdb.hashing.base import HashAlgorithm
from hashdb.index.base import HammingIndex, Neighbours
from hashdb.index.brute import BruteForceIndex
from hashdb.index.exact import ExactIndex


def make_index(algorithm: HashAlgorithm) -> HammingIndex:
    if algorithm.exact:
        return ExactIndex(algorithm.bits)
    return BruteForceIndex(algorithm.bits)


__all__ = ["BruteForceIndex", "ExactIndex", "HammingIndex", "Neighbours", "make_index"]
