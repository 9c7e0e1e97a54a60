"""SQLite's page size: a database hashdb creates gets large pages (a bulk import writes a
quarter as many); one created before keeps the size it has, and works as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hashdb.store import NewEntry, NewList, open_store
from hashdb.store.sqlite import PAGE_SIZE


def _page_size(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("PRAGMA page_size").fetchone()[0])


def _write_and_read(path: Path, name: str) -> None:
    store = open_store(str(path))
    try:
        with store.transaction():
            hash_list = store.create_list(NewList(name))
            store.add_entries(hash_list.id, [NewEntry("pdq", bytes(range(32)), label="a")])
        assert name in [hash_list.name for hash_list in store.lists()]
    finally:
        store.close()


def test_a_new_database_gets_the_large_pages(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    _write_and_read(path, "new")
    assert PAGE_SIZE > 4096
    assert _page_size(path) == PAGE_SIZE


def test_a_database_made_with_small_pages_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as connection:  # as SQLite's defaults and earlier releases made it
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE earlier (x INTEGER)")
    _write_and_read(path, "first")
    _write_and_read(path, "second")  # opened again: the size stays
    assert _page_size(path) == 4096
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
