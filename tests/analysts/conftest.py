"""Principals of two organisations, and a service on SQLite and on PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

import pytest

from hashdb.hashing.media import MediaHasher, MediaHashes
from hashdb.identity import Principal, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.testing import images as imagegen

#: Generated test images, made once per process (the tests reuse a few seeds many times).
jpeg = functools.cache(imagegen.jpeg)

ACME_ANALYST = Principal("ana", Role.ANALYST, "acme")
ACME_PLATFORM = Principal("acme-uploads", Role.PLATFORM, "acme")
BETA_ANALYST = Principal("bo", Role.ANALYST, "beta")
BETA_PLATFORM = Principal("beta-uploads", Role.PLATFORM, "beta")


@functools.cache
def _hash(data: bytes, algorithms: tuple[str, ...] | None) -> MediaHashes:
    return MediaHasher.hash_bytes(_HASHER, data, algorithms)


class CachedMediaHasher(MediaHasher):
    """The real hasher, remembering the hashes of bytes it has hashed before: these tests
    are about sharing and policy, and hash the same few images again and again."""

    def hash_bytes(self, data: bytes, algorithms: Sequence[str] | None = None) -> MediaHashes:
        return _hash(data, tuple(algorithms) if algorithms else None)


_HASHER = MediaHasher(Settings(db="unused.sqlite"))


@pytest.fixture
def hub(db_url: str) -> Iterator[HashDB]:
    """A service shared by several organisations, on SQLite and on the real PostgreSQL."""
    settings = Settings(db=db_url, refresh_interval=0)
    service = HashDB(settings)
    service.media = CachedMediaHasher(settings)
    yield service
    service.close()
