"""SQLite: the embedded default. One file, WAL journal, writers serialised by BEGIN IMMEDIATE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hashdb.errors import StoreUnavailable
from hashdb.store.sql import SQLStore

BUSY_TIMEOUT_MS = 30_000
#: Bytes per page of a database this creates (SQLite's default is 4,096). A bulk import
#: writes a quarter as many pages, each to the write-ahead log and then to the file, and its
#: B-trees split a quarter as often: a million-row ``hashdb import`` takes about a fifth
#: less CPU. Small writes cost the same (an API batch add, measured). A database's page
#: size is fixed once it is in WAL mode, so existing files keep theirs.
PAGE_SIZE = 16_384


def sqlite_path(url: str) -> Path:
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    return Path(url)


def create_engine(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN IMMEDIATE is possible.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")  # before WAL writes the first page
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        write = connection.get_execution_options().get("hashdb_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def open_sqlite(url: str) -> SQLStore:
    path = sqlite_path(url)
    if path.is_dir():
        raise StoreUnavailable(f"{path} is a directory, not a database file")
    if not path.parent.exists():
        raise StoreUnavailable(f"the folder {path.parent} for the database does not exist")
    return SQLStore(create_engine(path), str(path))
