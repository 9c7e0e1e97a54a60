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

# --- issue 9: bulk rescans (scan jobs, media-hash store) ---

scan_jobs = sa.Table(
    "scan_jobs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("owner", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    # Checkpoint: files whose results were written, the walk key of the last of them, and
    # the output file's size at that moment (None when the report goes to stdout).
    sa.Column("done", sa.BigInteger, nullable=False, default=0),
    sa.Column("last_key", sa.JSON),
    sa.Column("output_bytes", sa.BigInteger),
    sa.Column("counters", sa.JSON, nullable=False),
)

scanned_media = sa.Table(
    "scanned_media",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("location", sa.Text, nullable=False, unique=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("mtime_ns", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("job_id", BigId),
    sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("scanned_media_sha256", scanned_media.c.sha256)

scanned_hashes = sa.Table(
    "scanned_hashes",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "media_id", BigId, sa.ForeignKey("scanned_media.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("algorithm", sa.String(32), nullable=False),
    sa.Column("hash", sa.LargeBinary, nullable=False),
    sa.Column("quality", sa.SmallInteger),
    # Where in a video the hashed frame is (milliseconds); NULL for still images.
    sa.Column("position_ms", sa.BigInteger),
)
sa.Index("scanned_hashes_algorithm", scanned_hashes.c.algorithm, scanned_hashes.c.id)
sa.Index("scanned_hashes_media", scanned_hashes.c.media_id)
