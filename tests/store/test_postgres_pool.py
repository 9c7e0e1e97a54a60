"""Pooled PostgreSQL connections the database dropped: one left idle is replaced before use,
one used a moment ago costs at most one 'database unavailable' answer, never a traceback;
likewise for the connections an event loop awaits its reads on."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from hashdb.errors import StoreUnavailable
from hashdb.store import open_store
from hashdb.store import postgres as postgres_store
from hashdb.store.models import NewEntry, NewList
from hashdb.store.postgres_async import CONNECTIONS, AsyncReads
from hashdb.store.sql import SQLStore
from tests import event_loop

pytestmark = pytest.mark.postgres


def _store_with_an_entry(url: str) -> tuple[SQLStore, int]:
    store = open_store(url)
    assert isinstance(store, SQLStore)
    with store.transaction():
        hash_list = store.create_list(NewList("pool"))
        (added,) = store.add_entries(hash_list.id, [NewEntry("md5", bytes(range(16)))])
    # The planner statistics check ran on a connection of its own: the pool starts again
    # with the one connection each test drops.
    store.statistics.settle()  # type: ignore[attr-defined]
    store.engine.dispose()
    return store, added.entry_id


def _drop_the_pooled_connection(store: SQLStore, server: str) -> None:
    """What a database restart does to the connection the pool holds."""
    with store.engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    admin = sa.create_engine(postgres_store.engine_url(server))
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


def test_a_connection_left_idle_is_checked_and_replaced(
    postgres_url: str, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, entry_id = _store_with_an_entry(postgres_url)
    try:
        _drop_the_pooled_connection(store, postgres_server)
        monkeypatch.setattr(postgres_store, "RECENTLY_USED_SECONDS", 0.0)  # it sat idle
        assert entry_id in store.get_entries([entry_id])
    finally:
        store.close()


def test_a_connection_dropped_right_after_use_fails_one_read_at_most(
    postgres_url: str, postgres_server: str
) -> None:
    store, entry_id = _store_with_an_entry(postgres_url)
    try:
        _drop_the_pooled_connection(store, postgres_server)
        try:
            store.get_entries([entry_id])
        except StoreUnavailable as error:
            assert "database error" in error.message
        assert entry_id in store.get_entries([entry_id])
    finally:
        store.close()


def _terminate(server: str, pids: list[int]) -> None:
    admin = sa.create_engine(postgres_store.engine_url(server))
    try:
        with admin.connect() as connection:
            for pid in pids:
                connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


def test_an_awaited_read_survives_its_connection_being_dropped_while_idle(
    postgres_url: str, postgres_server: str
) -> None:
    """The event loop's own connections: one the database dropped while it sat idle is
    replaced without an error; concurrent reads share a few connections."""
    store, entry_id = _store_with_an_entry(postgres_url)
    assert isinstance(store, postgres_store.PostgresStore)

    async def reads() -> None:
        both = await asyncio.gather(*(store.read_entries_async([entry_id]) for _ in range(9)))
        assert all(entry_id in found for found in both)
        assert store.get_entries([entry_id]) == both[0]
        (connections,) = [
            held
            for loop, held in store._async_reads._loops.items()
            if loop is asyncio.get_running_loop()
        ]
        idle = connections.idle
        assert 1 <= len(idle) <= CONNECTIONS
        _terminate(postgres_server, [connection.info.backend_pid for connection in idle])
        assert entry_id in await store.read_entries_async([entry_id])

    try:
        event_loop.run(reads())
        event_loop.run(reads())  # another event loop: its own connections
        assert len(store._async_reads._loops) == 1  # the closed loop's were hung up
    finally:
        store.close()


def test_an_awaited_read_of_an_unreachable_database_is_unavailable(postgres_url: str) -> None:
    reads = AsyncReads("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2")
    with pytest.raises(StoreUnavailable, match="database error"):
        event_loop.run(reads.rows("SELECT 1", {}))


def test_a_cancelled_awaited_read_does_not_reuse_its_connection(postgres_url: str) -> None:
    """A request cancelled half way (its client went away) leaves its connection in an
    unknown state: it is hung up, never handed to the next read."""
    store, entry_id = _store_with_an_entry(postgres_url)
    assert isinstance(store, postgres_store.PostgresStore)

    async def cancelled() -> None:
        reads = store._async_reads
        slow = asyncio.create_task(reads.rows("SELECT pg_sleep(5)", {}))
        await asyncio.sleep(0.3)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert reads._loops[asyncio.get_running_loop()].idle == []
        assert entry_id in await store.read_entries_async([entry_id])

    try:
        event_loop.run(cancelled())
    finally:
        store.close()
