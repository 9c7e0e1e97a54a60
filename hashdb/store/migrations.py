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

#: Tables version 2 added: keys, organisations and sharing, labels, review queue, feedback,
#: video frames and rules, scan jobs and the media-hash store, robust reference data.
VERSION_2_TABLES = (
    "api_keys",
    "organisations",
    "list_settings",
    "label_vocabulary",
    "entry_labels",
    "review_queue",
    "feedback",
    "video_frames",
    "video_rules",
    "scan_jobs",
    "scanned_media",
    "scanned_hashes",
    "reference_hashes",
    "reference_features",
)


def _to_version_2(connection: sa.Connection) -> None:
    # Provenance columns on entries: nullable, so existing rows stay valid as they are.
    entries = metadata.tables["entries"]
    preparer = connection.dialect.identifier_preparer
    for name in ("organisation", "source"):
        column = entries.c[name]
        column_type = column.type.compile(dialect=connection.dialect)
        connection.execute(
            sa.text(f"ALTER TABLE entries ADD COLUMN {preparer.quote(name)} {column_type}")
        )
    metadata.create_all(connection, tables=[metadata.tables[name] for name in VERSION_2_TABLES])


#: version -> the DDL that upgrades version - 1 to it. Version 1 is the initial schema.
STEPS: dict[int, Step] = {2: _to_version_2}


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
