"""Principals of two organisations, and a service on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hashdb.identity import Principal, Role
from hashdb.service import HashDB
from hashdb.settings import Settings

ACME_ANALYST = Principal("ana", Role.ANALYST, "acme")
ACME_PLATFORM = Principal("acme-uploads", Role.PLATFORM, "acme")
BETA_ANALYST = Principal("bo", Role.ANALYST, "beta")
BETA_PLATFORM = Principal("beta-uploads", Role.PLATFORM, "beta")


@pytest.fixture
def hub(db_url: str) -> Iterator[HashDB]:
    """A service shared by several organisations, on SQLite and on the real PostgreSQL."""
    service = HashDB(Settings(db=db_url, refresh_interval=0))
    yield service
    service.close()
