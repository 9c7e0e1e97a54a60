"""The current database schema (SQLAlchemy Core), shared by every SQL dialect.

Fresh databases are created from these tables directly and stamped with
``SCHEMA_VERSION``; older ones are brought forward by ``hashdb.store.migrations``.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 1

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

# --- issue 4: API keys ---
# A key is shown once when created; only its prefix (for lookup and display) and its SHA-256
# are stored. ``organisation`` is the caller's organisation, for list sharing built on top.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("organisation", sa.Text),
    sa.Column("prefix", sa.String(32), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.Text),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_by", sa.Text),
)
