"""Cryptographic digests of the file bytes, for exact re-uploads."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from hashdb.hashing.base import Digest, HashAlgorithm

if TYPE_CHECKING:
    from hashdb.media.image import PreparedImage


class MD5(HashAlgorithm):
    name = "md5"
    bits = 128
    default_threshold = 0
    exact = True
    refuse_degenerate = False
    description = "MD5 of the file bytes (exact copies only; the format many partners share)."

    def compute(self, media: PreparedImage) -> Digest:
        return Digest(self.name, hashlib.md5(media.data, usedforsecurity=False).digest())


class SHA256(HashAlgorithm):
    name = "sha256"
    bits = 256
    default_threshold = 0
    exact = True
    refuse_degenerate = False
    description = "SHA-256 of the file bytes (exact copies only)."

    def compute(self, media: PreparedImage) -> Digest:
        return Digest(self.name, hashlib.sha256(media.data).digest())
