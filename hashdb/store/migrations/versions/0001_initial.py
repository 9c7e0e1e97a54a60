"""The first release: lists, entries, the change sequence and the audit log.

Revision 0001, the first. Frozen: the DDL below is the schema as it was at this revision, never
the current ``hashdb.store.schema``. ``hashdb_schema`` is the version table of the releases
before Alembic; they read it, so it stays (see ``hashdb.store.migrations.env``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliases need INTEGER
LIVE = sa.text("retired_at IS NULL")


def upgrade() -> None:
    op.create_table("hashdb_schema", sa.Column("version", sa.Integer, nullable=False))
    op.create_table(
        "lists",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("thresholds", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "entries",
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
    op.create_index(
        "entries_live_unique",
        "entries",
        ["list_id", "algorithm", "hash"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index("entries_algorithm_live", "entries", ["algorithm", "retired_at"])
    op.create_index("entries_list", "entries", ["list_id"])
    op.create_table(
        "changes",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("entry_id", BigId),
        sa.Column("list_id", BigId),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.Text),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    op.create_index("audit_log_target", "audit_log", ["target_type", "target_id"])


def downgrade() -> None:
    for table in ("audit_log", "changes", "entries", "lists", "hashdb_schema"):
        op.drop_table(table)
