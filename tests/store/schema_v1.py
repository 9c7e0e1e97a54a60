"""Version 1 of the schema, frozen as it shipped, so migration tests start from a real
version-1 database rather than from today's tables minus a guess."""

from __future__ import annotations

import sqlalchemy as sa

VERSION = 1

metadata = sa.MetaData()

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliases need INTEGER

schema_info = sa.Table(
    "hashdb_schema",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

lists = sa.Table(
    "lists",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("thresholds", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), nullable=False),
    sa.Column("algorithm", sa.String(32), nullable=False),
    sa.Column("hash", sa.LargeBinary, nullable=False),
    sa.Column("quality", sa.SmallInteger),
    sa.Column("source_sha256", sa.String(64)),
    sa.Column("label", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("added_by", sa.Text),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("retired_at", sa.DateTime(timezone=True)),
    sa.Column("retired_reason", sa.Text),
    sa.Column("retired_by", sa.Text),
)

# One live entry per (list, algorithm, hash): adds are idempotent, while retired entries stay
# for audit and the same hash can be added again later as a new entry.
live_entry_unique = sa.Index(
    "entries_live_unique",
    entries.c.list_id,
    entries.c.algorithm,
    entries.c.hash,
    unique=True,
    sqlite_where=entries.c.retired_at.is_(None),
    postgresql_where=entries.c.retired_at.is_(None),
)
sa.Index("entries_algorithm_live", entries.c.algorithm, entries.c.retired_at)
sa.Index("entries_list", entries.c.list_id)

changes = sa.Table(
    "changes",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("entry_id", BigId),
    sa.Column("list_id", BigId),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(32), nullable=False),
    sa.Column("target_id", sa.Text),
    sa.Column("before", sa.JSON),
    sa.Column("after", sa.JSON),
)
sa.Index("audit_log_target", audit_log.c.target_type, audit_log.c.target_id)
