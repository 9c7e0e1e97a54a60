"""Storage: the :class:`Store` protocol, its records, and ``open_store`` by URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hashdb.store.models import (
    AddOutcome,
    Change,
    ChangeKind,
    Entry,
    HashList,
    ListAction,
    LiveHashes,
    MatchingMode,
    NewEntry,
    NewList,
)

if TYPE_CHECKING:
    from hashdb.store.base import ChangeFeed, EntryStore, ListStore, Store

#: The protocols pull in SQLAlchemy; a command that only needs the models (``--help``) must
#: not pay for it, so they load on first use.
_LAZY = {"ChangeFeed", "EntryStore", "ListStore", "Store"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from hashdb.store import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (else it is a SQLite file's path)."""
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def open_store(url: str) -> Store:
    """Open (and create or migrate) the database at ``url``: a SQLite path or postgresql:// URL."""
    if is_postgres(url):
        from hashdb.store.postgres import open_postgres

        return open_postgres(url)
    from hashdb.store.sqlite import open_sqlite

    return open_sqlite(url)


__all__ = [
    "AddOutcome",
    "Change",
    "ChangeFeed",
    "ChangeKind",
    "Entry",
    "EntryStore",
    "HashList",
    "ListAction",
    "ListStore",
    "LiveHashes",
    "MatchingMode",
    "NewEntry",
    "NewList",
    "Store",
    "is_postgres",
    "open_store",
]
