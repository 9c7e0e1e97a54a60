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

# --- issue 7: video frame hashes and per-list video match rules ---

# A video reference is ONE entry (algorithm "vpdq", hash = SHA-256 of its frame hashes in
# order, so adding the same video twice is idempotent); its sampled frames live here.
video_frames = sa.Table(
    "video_frames",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), nullable=False),
    sa.Column("frame_index", sa.Integer, nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False),
    # Seconds of video this frame stands for (until the next kept frame).
    sa.Column("duration", sa.Float, nullable=False),
    sa.Column("pdq", sa.LargeBinary, nullable=False),
    sa.Column("quality", sa.SmallInteger, nullable=False),
    # PDQ of the frame's central band (captions and watermarks cut off); may be absent.
    sa.Column("band_pdq", sa.LargeBinary),
)
sa.Index("video_frames_entry", video_frames.c.entry_id, video_frames.c.frame_index, unique=True)

# Per-list shares of time a video match needs; a list without a row uses the settings' defaults.
video_rules = sa.Table(
    "video_rules",
    metadata,
    sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), primary_key=True),
    sa.Column("min_query_share", sa.Float, nullable=False),
    sa.Column("min_reference_share", sa.Float, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
