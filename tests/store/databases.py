"""Databases for the migration tests: engines that run no migrations, the schemas databases
had before Alembic (recorded as the code of those versions created them), and a process target
that opens a store."""

from __future__ import annotations

from multiprocessing.synchronize import Event
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hashdb.store import open_store
from hashdb.store.postgres import engine_url
from hashdb.store.schema import metadata
from hashdb.store.sqlite import create_engine

LEGACY_DIR = Path(__file__).parent / "legacy_schemas"

#: Each schema a database could have before Alembic -> the recorded SQL that made it, in order.
LEGACY_SCHEMAS: dict[str, tuple[str, ...]] = {
    "version 1": ("v1",),
    "version 2": ("v2",),
    "version 2 upgraded from 1": ("v1", "v1_to_v2"),
}


def raw_engine(url: str) -> sa.Engine:
    """An engine on a test database, as the store builds it but without opening a store."""
    if "://" in url:
        return sa.create_engine(engine_url(url))
    return create_engine(Path(url))


def sql_statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in text.split(";") if statement.strip()]


def create_legacy_database(url: str, schema: str) -> None:
    engine = raw_engine(url)
    try:
        with engine.begin() as connection:
            for name in LEGACY_SCHEMAS[schema]:
                path = LEGACY_DIR / f"{name}_{engine.dialect.name}.sql"
                for statement in sql_statements(path):
                    connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def differences_from_models(connection: sa.Connection) -> list[object]:
    """What Alembic's autogenerate would change to make the database match ``schema.py``."""
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


def table_names(url: str) -> set[str]:
    engine = raw_engine(url)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def open_when_told(url: str, start: Event) -> None:
    """Open (and so create) the store at ``url`` as soon as ``start`` is set."""
    start.wait(30)
    open_store(url).close()
