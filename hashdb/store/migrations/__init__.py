"""Schema revisions, managed with Alembic: ``versions/`` holds one frozen file per revision,
``env.py`` is Alembic's environment, and ``migrate`` brings a database to the newest revision
when a store opens it. docs/development/migrations.md says how to add a revision."""

from __future__ import annotations

from hashdb.store.migrations.runner import (
    head_revision,
    migrate,
    revision_number,
    stored_revision,
)

__all__ = ["head_revision", "migrate", "revision_number", "stored_revision"]
