"""The hash-algorithm extension point and the hash value object.

A new algorithm is one module defining a :class:`HashAlgorithm` subclass, registered in
``hashdb.hashing.ALGORITHMS``. Hashes travel as raw big-endian bytes inside the core and as
lowercase hex at the edges (PDQ: 64 hex characters, the ThreatExchange convention).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from hashdb.errors import DegenerateHash, InvalidHash, LowQualityHash

if TYPE_CHECKING:
    from hashdb.media.image import PreparedImage


@dataclass(frozen=True, slots=True)
class Digest:
    """One hash of one piece of media: algorithm name, raw bits, and optional quality (0-100)."""

    algorithm: str
    value: bytes
    quality: int | None = None

    @property
    def hex(self) -> str:
        return self.value.hex()

    def distance(self, other: Digest) -> int:
        """Hamming distance in bits; only defined between digests of one algorithm."""
        if other.algorithm != self.algorithm or len(other.value) != len(self.value):
            raise InvalidHash(
                f"cannot compare a {self.algorithm} hash with a {other.algorithm} hash"
            )
        return hamming_distance(self.value, other.value)


def hamming_distance(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


class HashAlgorithm(ABC):
    """A hash algorithm: its identity, its size, how to compute it and how to compare it."""

    name: ClassVar[str]
    bits: ClassVar[int]
    default_threshold: ClassVar[int]
    #: Exact algorithms (cryptographic digests) only ever match at distance 0.
    exact: ClassVar[bool] = False
    #: Whether a new list matches on this algorithm without being told to.
    enabled_by_default: ClassVar[bool] = True
    #: Perceptual algorithms refuse all-zero/all-one values, which blank images produce.
    refuse_degenerate: ClassVar[bool] = True
    description: ClassVar[str] = ""

    @property
    def hex_length(self) -> int:
        return self.bits // 4

    @abstractmethod
    def compute(self, media: PreparedImage) -> Digest:
        """Hash decoded media. Raises a :class:`~hashdb.errors.MediaError` if impossible."""

    def parse(self, text: str) -> Digest:
        """Parse a hex string (case-insensitive) into a digest, or raise :class:`InvalidHash`."""
        cleaned = text.strip().lower()
        if len(cleaned) != self.hex_length:
            raise InvalidHash(
                f"a {self.name} hash is {self.hex_length} hex characters, got {len(cleaned)}",
                algorithm=self.name,
                value=text[:200],
            )
        try:
            # fromhex alone would take spaces between the digits; alphanumeric ASCII of the
            # right length is hexadecimal exactly when fromhex takes it.
            if not (cleaned.isascii() and cleaned.isalnum()):
                raise ValueError(cleaned)
            value = bytes.fromhex(cleaned)
        except ValueError:
            raise InvalidHash(
                f"a {self.name} hash must be hexadecimal", algorithm=self.name, value=text[:200]
            ) from None
        return Digest(self.name, value)

    def check_storable(self, digest: Digest, *, min_quality: int) -> None:
        """Refuse hashes that would match far too much: degenerate or low-quality ones."""
        if self.refuse_degenerate and digest.value in (
            bytes(len(digest.value)),
            b"\xff" * len(digest.value),
        ):
            raise DegenerateHash(
                f"the {self.name} hash {digest.hex} is all zeros or all ones "
                "(blank or flat media) and would match unrelated content",
                algorithm=self.name,
            )
        if digest.quality is not None and digest.quality < min_quality:
            raise LowQualityHash(
                f"the {self.name} hash has quality {digest.quality}, below the minimum "
                f"{min_quality}: the media has too little detail to identify it reliably",
                algorithm=self.name,
                quality=digest.quality,
            )
