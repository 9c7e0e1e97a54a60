"""PostgreSQL: the shared deployment, through psycopg 3."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.rows import namedtuple_row

from hashdb.errors import StoreUnavailable
from hashdb.store import schema
from hashdb.store.guard import check_store_access
from hashdb.store.models import Entry
from hashdb.store.postgres_async import AsyncReads
from hashdb.store.rows import entries_from_rows, in_chunks
from hashdb.store.sql import ENTRIES_WITH_LABELS, SQLStore
from hashdb.store.statistics import StatisticsKeeper

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
    return PostgresStore(engine, url)


class PostgresStore(SQLStore):
    """The SQL store on PostgreSQL, with the entry read of a lookup that matched run on the
    driver's own cursor, in a worker thread or awaited on the event loop
    (:meth:`read_entries_async`).

    Explaining a match reads its entry on each request whose entry is not cached. Through
    SQLAlchemy's execution (statement cache, parameter processing, result rows, isolation
    level set and reset) that read cost about twice what the same statement costs through
    psycopg (0.42 ms against 0.22 ms, one id, on a 2-core machine), where the database's
    own work is under 0.1 ms. The statement stays the one SQLAlchemy builds
    (:data:`~hashdb.store.sql.ENTRIES_WITH_LABELS`), compiled once per number of ids, and
    its rows become entries through the same mapper. psycopg prepares it on the server after
    a few uses, so the database does not plan it again on every request.

    After each write commits, its tables' planner statistics are checked, and refreshed when
    they are out of date, in the background (:mod:`hashdb.store.statistics`).
    """

    def __init__(self, engine: sa.Engine, url: str) -> None:
        super().__init__(engine, url)
        self._entry_sql: dict[int, str] = {}
        conninfo = engine.url.set(drivername="postgresql")
        self._async_reads = AsyncReads(conninfo.render_as_string(hide_password=False))
        self.statistics = StatisticsKeeper(engine, tuple(schema.metadata.tables))
        self.on_commit(lambda _seq: self.statistics.check_soon())
        # A database written before (by a hashdb without this, or with autovacuum off) is
        # analysed now if it needs it, rather than after its first write.
        self.statistics.check_soon()

    def _before_adding(self) -> None:
        # A store opened on a database nobody analysed plans its first add's look-ups after
        # the check that opening started (one query; an ANALYZE only where it is needed).
        self.statistics.wait_for_first_check()

    async def read_entries_async(self, entry_ids: Sequence[int]) -> dict[int, Entry]:
        """:meth:`get_entries`, awaited on the calling event loop (see
        :mod:`hashdb.store.postgres_async`)."""
        found: dict[int, Entry] = {}
        for ids in in_chunks(int(entry_id) for entry_id in entry_ids):
            sql, params = self._entry_statement(ids)
            found.update(entries_from_rows(await self._async_reads.rows(sql, params)))
        return found

    def close(self) -> None:
        self.statistics.settle()
        self._async_reads.close()
        super().close()

    def _entry_statement(self, ids: list[int]) -> tuple[str, dict[str, int]]:
        sql = self._entry_sql.get(len(ids))
        if sql is None:
            sql = self._entry_sql[len(ids)] = _compiled(self.engine.dialect, len(ids))
        return sql, {f"ids_{number}": entry_id for number, entry_id in enumerate(ids, 1)}

    def _entry_rows(self, ids: list[int]) -> Sequence[Any]:
        if self._connection.get() is not None:
            return super()._entry_rows(ids)  # inside a write transaction: read in it
        check_store_access()
        sql, params = self._entry_statement(ids)
        try:
            raw = self.engine.raw_connection()  # the pool's checkout (and ping) rules apply
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(f"database error: {exc.orig}") from None
        try:
            driver = raw.driver_connection
            assert isinstance(driver, psycopg.Connection)
            # Autocommit: the statement stands alone, and no ROLLBACK round trip follows it.
            driver.autocommit = True
            try:
                with driver.cursor(row_factory=namedtuple_row) as cursor:
                    return cursor.execute(sql, params).fetchall()
            finally:
                if not driver.closed:
                    driver.autocommit = False
        except psycopg.OperationalError as exc:
            # A dropped connection must not go back to the pool: the next read gets a new one.
            raw.invalidate()
            raise StoreUnavailable(f"database error: {exc}") from None
        finally:
            raw.close()


def _compiled(dialect: sa.Dialect, count: int) -> str:
    """:data:`ENTRIES_WITH_LABELS` for ``count`` ids, as the driver's text, its ids bound as
    ``ids_1`` … ``ids_<count>``."""
    statement = ENTRIES_WITH_LABELS.params(ids=[0] * count)
    return str(statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))


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
