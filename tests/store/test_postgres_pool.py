"""Pooled PostgreSQL connections the database dropped: one left idle is replaced before use,
one used a moment ago costs at most one 'database unavailable' answer, never a traceback."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hashdb.errors import StoreUnavailable
from hashdb.store import open_store
from hashdb.store import postgres as postgres_store
from hashdb.store.models import NewEntry, NewList
from hashdb.store.sql import SQLStore

pytestmark = pytest.mark.postgres


def _store_with_an_entry(url: str) -> tuple[SQLStore, int]:
    store = open_store(url)
    assert isinstance(store, SQLStore)
    with store.transaction():
        hash_list = store.create_list(NewList("pool"))
        (added,) = store.add_entries(hash_list.id, [NewEntry("md5", bytes(range(16)))])
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
