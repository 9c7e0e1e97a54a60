"""Principals of two organisations, and a service on SQLite and on PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

import pytest

from hashdb.identity import Principal, Role
from hashdb.service import HashDB, MediaHashes
from hashdb.settings import Settings
from tests import imagegen

#: Generated test images, made once per process (the tests reuse a few seeds many times).
jpeg = functools.cache(imagegen.jpeg)

ACME_ANALYST = Principal("ana", Role.ANALYST, "acme")
ACME_PLATFORM = Principal("acme-uploads", Role.PLATFORM, "acme")
BETA_ANALYST = Principal("bo", Role.ANALYST, "beta")
BETA_PLATFORM = Principal("beta-uploads", Role.PLATFORM, "beta")


@functools.cache
def _hash(service: HashDB, data: bytes, algorithms: tuple[str, ...] | None) -> MediaHashes:
    return HashDB.hash_bytes(service, data, algorithms)


class CachedHashDB(HashDB):
    """The real service, remembering the hashes of bytes it has hashed before: these tests
    are about sharing and policy, and hash the same few images again and again."""

    def hash_bytes(self, data: bytes, algorithms: Sequence[str] | None = None) -> MediaHashes:
        return _hash(_HASHER, data, tuple(algorithms) if algorithms else None)


_HASHER = HashDB(Settings(db="unused.sqlite"))  # hashing only: its store is never opened


@pytest.fixture
def hub(db_url: str) -> Iterator[HashDB]:
    """A service shared by several organisations, on SQLite and on the real PostgreSQL."""
    service = CachedHashDB(Settings(db=db_url, refresh_interval=0))
    yield service
    service.close()
