"""Alembic's environment for hashdb's schema revisions (``versions/``).

``hashdb.store.migrations.migrate`` runs it when a store opens a database, handing over the
connection of its open transaction in ``config.attributes["connection"]``: every revision, the
Alembic stamp and ``hashdb_schema`` commit together or not at all. Developers run it through
the ``alembic`` command (``[tool.alembic]`` in pyproject.toml) with ``-x url=<SQLAlchemy URL>``;
docs/development/migrations.md says how.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from hashdb.store.migrations.runner import revision_number
from hashdb.store.schema import metadata, schema_info


def mirror_legacy_version(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[str], run_args: Mapping[str, Any]
) -> None:
    """Keep ``hashdb_schema`` at the number of the revision the database is at.

    Releases from before Alembic read only that table: this way they open a database at
    revision 0002 (their own schema) and refuse, as too new, one a later revision changed.
    """
    connection = ctx.connection
    assert connection is not None  # hashdb's revisions run online only
    if not sa.inspect(connection).has_table(schema_info.name):
        return  # below revision 0001, or a revision that retired the table
    connection.execute(schema_info.delete())
    for head in heads:
        connection.execute(schema_info.insert().values(version=revision_number(head)))


def number_new_revision(
    migration_context: MigrationContext,
    revision: str | Iterable[str | None] | Iterable[str],
    directives: list[MigrationScript],
) -> None:
    """``alembic revision`` names the new revision after the head's number plus one: 0003
    follows 0002, and its file is ``0003_<message>.py``."""
    head = ScriptDirectory.from_config(context.config).get_current_head()
    directives[0].rev_id = f"{revision_number(head or '0') + 1:04d}"


def run_revisions(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place: batch operations copy the table instead.
        render_as_batch=True,
        on_version_apply=mirror_legacy_version,
        process_revision_directives=number_new_revision,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise CommandError("hashdb's revisions run against a database: pass -x url=<SQLAlchemy URL>")
given: sa.Connection | None = context.config.attributes.get("connection")
if given is not None:
    run_revisions(given)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise CommandError("say which database: alembic -x url=sqlite:///dev.sqlite <command>")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            run_revisions(connection)
    finally:
        engine.dispose()
