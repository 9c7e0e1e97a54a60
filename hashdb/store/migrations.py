"""Schema versioning: create fresh databases at the latest version, upgrade older ones.

Each step in ``STEPS`` takes a database from version ``n - 1`` to ``n`` with explicit DDL and
runs in the same transaction as the version stamp, so a failed upgrade leaves nothing
half-written. A database newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from hashdb.errors import SchemaTooNew
from hashdb.store.schema import SCHEMA_VERSION, metadata, schema_info

Step = Callable[[sa.Connection], None]

#: version -> the DDL that upgrades version - 1 to it. Version 1 is the initial schema.
STEPS: dict[int, Step] = {}


def current_version(connection: sa.Connection) -> int | None:
    if not sa.inspect(connection).has_table(schema_info.name):
        return None
    return connection.execute(sa.select(sa.func.max(schema_info.c.version))).scalar()


def migrate(engine: sa.Engine) -> int:
    """Bring the database to ``SCHEMA_VERSION``; returns the version it was at (0 if new)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two processes opening a fresh database at once must not both create it.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(7244531)"))
        found = current_version(connection)
        if found is None:
            metadata.create_all(connection)
            connection.execute(schema_info.insert().values(version=SCHEMA_VERSION))
            return 0
        if found > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"the database has schema version {found}, newer than this hashdb "
                f"({SCHEMA_VERSION}); upgrade hashdb",
                found=found,
                supported=SCHEMA_VERSION,
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            STEPS[version](connection)
        if found < SCHEMA_VERSION:
            connection.execute(schema_info.update().values(version=SCHEMA_VERSION))
        return found
