"""PostgreSQL: the shared deployment, through psycopg 3."""

from __future__ import annotations

import sqlalchemy as sa

from hashdb.store.sql import SQLStore


def engine_url(url: str) -> str:
    # Accept the URLs people paste (postgres://, postgresql://) and pin the psycopg 3 driver.
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def open_postgres(url: str) -> SQLStore:
    engine = sa.create_engine(engine_url(url), pool_pre_ping=True, pool_size=5, max_overflow=10)
    return SQLStore(engine, url)
