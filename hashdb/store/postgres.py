"""PostgreSQL: the shared deployment, through psycopg 3."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from hashdb.store.sql import SQLStore

#: A pooled connection used this recently is handed out without a ping first.
RECENTLY_USED_SECONDS = 1.0


def engine_url(url: str) -> str:
    # Accept the URLs people paste (postgres://, postgresql://) and pin the psycopg 3 driver.
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def open_postgres(url: str) -> SQLStore:
    engine = sa.create_engine(engine_url(url), pool_size=5, max_overflow=10)
    ping_connections_left_idle(engine)
    return SQLStore(engine, url)


def ping_connections_left_idle(engine: sa.Engine) -> None:
    """Check that a pooled connection still works before handing it out, unless it came back
    to the pool within the last second.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip of about 0.15 ms on
    each request that reads an entry, a third of that read. A connection the database drops
    (a restart, an idle timeout, a network failover) is most often one that sat idle; one used
    a moment ago almost never is, and if it is, the statement fails as a disconnect, SQLAlchemy
    discards every connection of the pool made before it, and the request is answered 503
    (``database_unavailable``) instead of waiting on a dead socket.
    """

    @sa.event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["hashdb_returned_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("hashdb_returned_at")
        if returned is not None and time.monotonic() - returned < RECENTLY_USED_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()
        except Exception as error:  # the pool then retries with a new connection
            raise sa.exc.DisconnectionError(str(error)) from error
