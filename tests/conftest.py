"""Shared fixtures: a fresh database per test (SQLite file, or a throw-away PostgreSQL schema),
a service over it, and generated images."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.store import Store, open_store

POSTGRES_URL = os.environ.get(
    "HASHDB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_available() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_available()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required under CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {problem}")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose search_path is a schema created for this test and dropped after it."""
    schema = f"hashdb_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "hashdb.sqlite")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs the test once against SQLite and once against the real PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "hashdb.sqlite")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url)
    yield opened
    opened.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings on a fresh database: every test of the service, the API and the CLI that
    takes them runs on SQLite and on PostgreSQL."""
    return Settings(db=db_url, refresh_interval=0)


@pytest.fixture
def service(settings: Settings) -> Iterator[HashDB]:
    hashdb = HashDB(settings)
    yield hashdb
    hashdb.close()
