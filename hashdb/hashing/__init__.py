"""Hash algorithms by name. Adding an algorithm: one module plus one line here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from hashdb.errors import UnknownAlgorithm
from hashdb.hashing.base import Digest, HashAlgorithm, hamming_distance
from hashdb.hashing.exact import MD5, SHA256
from hashdb.hashing.imagehashes import DHash, PHash
from hashdb.hashing.pdq import PDQ

if TYPE_CHECKING:
    from hashdb.media.image import PreparedImage

ALGORITHMS: dict[str, HashAlgorithm] = {
    algorithm.name: algorithm for algorithm in (PDQ(), PHash(), DHash(), MD5(), SHA256())
}


def get_algorithm(name: str) -> HashAlgorithm:
    try:
        return ALGORITHMS[name.strip().lower()]
    except KeyError:
        raise UnknownAlgorithm(
            f"unknown algorithm {name!r}; known: {', '.join(ALGORITHMS)}", algorithm=name
        ) from None


def parse_hash(algorithm: str, value: str) -> Digest:
    return get_algorithm(algorithm).parse(value)


def compute_all(media: PreparedImage, algorithms: Iterable[str] | None = None) -> list[Digest]:
    """Every requested digest of one decoded image, sharing the one decode."""
    names = list(ALGORITHMS) if algorithms is None else list(algorithms)
    return [get_algorithm(name).compute(media) for name in names]


__all__ = [
    "ALGORITHMS",
    "Digest",
    "HashAlgorithm",
    "compute_all",
    "get_algorithm",
    "hamming_distance",
    "parse_hash",
]
