"""Bring a database to the newest schema revision when a store opens it.

A new database gets every revision in order; one versioned by the hand-written migrations of
the releases before Alembic (``hashdb_schema`` only) is stamped with the matching revision
first; one at a revision this code does not know is refused, never guessed at. The upgrade
runs in one transaction, so a failure leaves the database as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from hashdb.errors import SchemaTooNew, StoreUnavailable
from hashdb.store.schema import schema_info

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

#: The newest revision in ``versions/`` (a test holds it to Alembic's own head). Opening a
#: database already there reads one row and never imports Alembic, which costs half a second
#: of every command line call.
HEAD_REVISION = "0006"

#: Alembic's script directory: ``env.py`` and the revisions in ``versions/``.
MIGRATIONS_DIR = Path(__file__).parent
VERSION_TABLE = "alembic_version"

#: ``hashdb_schema.version`` as the hand-written migrations left it -> the same schema's revision.
LEGACY_VERSIONS = {1: "0001", 2: "0002"}

# Two processes opening a new database at once must not both create it (PostgreSQL; SQLite
# serialises the same way through BEGIN IMMEDIATE).
_MIGRATION_LOCK_KEY = 7244531
# Alembic's ``context`` and ``op`` are module globals: one upgrade at a time per process.
_ONE_UPGRADE_AT_A_TIME = threading.Lock()


def alembic_config(
    connection: sa.Connection | None = None, revisions: Path = MIGRATIONS_DIR
) -> Config:
    """Alembic's configuration, built here: nothing to install next to the database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(revisions))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts(revisions: Path) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(revisions=revisions))


def revision_number(revision: str) -> int:
    """The number of a revision id: 3 for ``0003`` (ids are zero-padded numbers, which
    ``tests/store/test_revisions.py`` holds every revision to)."""
    return int(revision)


def head_revision(revisions: Path = MIGRATIONS_DIR) -> str:
    head = _scripts(revisions).get_current_head()
    assert head is not None, "hashdb ships at least one revision"
    return head


@cache
def _known_revisions(revisions: Path) -> frozenset[str]:
    return frozenset(script.revision for script in _scripts(revisions).walk_revisions())


def stored_revision(connection: sa.Connection, revisions: Path = MIGRATIONS_DIR) -> str | None:
    """The revision the database is at; None for a database without hashdb's tables."""
    inspector = sa.inspect(connection)
    if inspector.has_table(VERSION_TABLE):
        found = _version_row(connection)
        if found is not None and found not in _known_revisions(revisions):
            raise _too_new(f"schema revision {found}", found, head_revision(revisions))
        return found
    if inspector.has_table(schema_info.name):
        version = connection.execute(sa.select(sa.func.max(schema_info.c.version))).scalar()
        if version not in LEGACY_VERSIONS:
            raise _too_new(f"schema version {version}", version, head_revision(revisions))
        return LEGACY_VERSIONS[version]
    return None


def _version_row(connection: sa.Connection) -> str | None:
    """The revision in Alembic's version table, or None when there is no such table or row."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    found = rows.all()
    return str(found[0]) if len(found) == 1 else None


def _too_new(what: str, found: object, head: str) -> SchemaTooNew:
    return SchemaTooNew(
        f"the database is at {what}, which this hashdb does not know (it knows up to "
        f"revision {head}); upgrade hashdb",
        found=found,
        supported=head,
    )


def migrate(engine: sa.Engine, revisions: Path = MIGRATIONS_DIR) -> str | None:
    """Bring the database to the newest revision; returns the revision it was at (None if new).

    A database already there costs one read and takes no lock.
    """
    with engine.connect() as connection:
        if revisions == MIGRATIONS_DIR and _version_row(connection) == HEAD_REVISION:
            return HEAD_REVISION
        found = stored_revision(connection, revisions)
    if found == head_revision(revisions):
        return found
    with (
        _ONE_UPGRADE_AT_A_TIME,
        engine.connect() as connection,
        _sqlite_foreign_keys_checked_at_the_end(connection),
    ):
        connection.execution_options(hashdb_write=True)  # SQLite: BEGIN IMMEDIATE
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            found = stored_revision(connection, revisions)  # another process may have been first
            if found != head_revision(revisions):
                from alembic import command

                config = alembic_config(connection, revisions)
                if found is not None and not sa.inspect(connection).has_table(VERSION_TABLE):
                    command.stamp(config, found)  # adopt what the hand-written code versioned
                command.upgrade(config, "head")
                _refuse_broken_references(connection)
    return found


@contextmanager
def _sqlite_foreign_keys_checked_at_the_end(connection: sa.Connection) -> Iterator[None]:
    """On SQLite, enforce foreign keys once, after every revision, instead of per statement.

    Batch mode rebuilds a table by copying it and dropping the original, which SQLite refuses
    while rows elsewhere refer to it and foreign keys are on; the switch only works outside a
    transaction (SQLite's documented procedure for altering tables).
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        # A Ctrl-C during the upgrade makes SQLAlchemy close the driver's connection (it
        # cannot know its state): that connection is never used again, and touching it
        # would replace the interruption with "closed database".
        if not connection.invalidated:
            driver.execute("PRAGMA foreign_keys=ON")


def _refuse_broken_references(connection: sa.Connection) -> None:
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL checked every statement
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise StoreUnavailable(
            f"the schema upgrade would leave {len(broken)} rows of {', '.join(tables)} "
            "referring to rows that do not exist; nothing was changed",
            tables=tables,
        )
