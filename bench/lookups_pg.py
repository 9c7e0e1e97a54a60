"""PostgreSQL's side of ``bench.lookups``: a database of the bench's own, and its counter of
transactions, by which the bench checks that a lookup when nothing changed reads nothing."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import httpx
import sqlalchemy as sa

POSTGRES = os.environ.get("HASHDB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def statements_per_lookup(url: str, base: str, key: str, query: str) -> float:
    """Statements the database ran per request while nothing changed (PostgreSQL only: read
    from pg_stat_statements if present, else from the transaction counter)."""
    if not url.startswith("postgresql"):
        return float("nan")
    engine = sa.create_engine(url.split("?")[0].replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:

            def commits() -> int:
                return int(
                    connection.execute(
                        sa.text(
                            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                            "WHERE datname = current_database()"
                        )
                    ).scalar_one()
                )

            def counted(work: Callable[[], object]) -> tuple[int, float]:
                connection.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
                before, started = commits(), time.perf_counter()
                work()
                seconds = time.perf_counter() - started
                time.sleep(0.6)  # statistics are flushed about every 0.5 s
                connection.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
                return commits() - before - 2, seconds + 0.6

            def lookups() -> None:
                with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as c:
                    body = {"hashes": [{"algorithm": "pdq", "value": query}]}
                    for _ in range(200):
                        c.post("/v1/lookup", json=body)

            busy, busy_seconds = counted(lookups)
            # The change watcher reads the sequence every refresh interval whatever happens,
            # and a key is re-checked every auth_cache_seconds: background, not per request.
            idle, idle_seconds = counted(lambda: time.sleep(busy_seconds - 0.6))
            return max(0.0, busy - idle * busy_seconds / idle_seconds) / 200
    finally:
        engine.dispose()


def postgres_database() -> str:
    """A database of its own, so that its transaction counter counts this server alone (the
    shared server's ``test`` database is busy with other jobs)."""
    name = f"hashdb_bench_{uuid.uuid4().hex[:10]}"
    _outside_a_transaction(f'CREATE DATABASE "{name}"')
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    _outside_a_transaction(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" (FORCE)')


def _outside_a_transaction(statement: str) -> None:
    """CREATE and DROP DATABASE, which PostgreSQL refuses inside a transaction."""
    engine = sa.create_engine(
        POSTGRES.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()
