"""The second release: entry provenance, keys, sharing, labels, review, video, rescans.

Nullable provenance columns on ``entries``; tables for API keys, organisations and list
settings, the label vocabulary and entry labels, the review queue, feedback, video frames and
rules, scan jobs and scanned media, and the robust stage's reference hashes and features.

Revision 0002, after 0001. Frozen: the DDL below is the schema as it was at this revision, never
the current ``hashdb.store.schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliases need INTEGER
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    # Provenance: nullable, so existing entries stay valid as they are.
    with op.batch_alter_table("entries") as entries:
        entries.add_column(sa.Column("organisation", sa.String(200)))
        entries.add_column(sa.Column("source", sa.Text))

    op.create_table(
        "api_keys",
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
    op.create_table(
        "organisations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "list_settings",
        sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), primary_key=True),
        sa.Column("owner_organisation", sa.String(200)),
        sa.Column("sharing", sa.String(20), nullable=False),
        sa.Column("review_radius", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "label_vocabulary",
        sa.Column("facet", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "entry_labels",
        sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), primary_key=True),
        sa.Column("label", sa.String(265), primary_key=True),
    )
    op.create_index("entry_labels_label", "entry_labels", ["label"])
    op.create_table(
        "review_queue",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), nullable=False),
        sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("query_hash", sa.LargeBinary, nullable=False),
        sa.Column("query_hashes", sa.JSON, nullable=False),
        sa.Column("distance", sa.Integer, nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("review_radius", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("platform", sa.Text),
        sa.Column("organisation", sa.String(200)),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_count", sa.Integer, nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.Text),
        sa.Column("resolution_note", sa.Text),
        sa.Column("result_entry_ids", sa.JSON),
    )
    op.create_index(
        "review_queue_pending_unique",
        "review_queue",
        ["entry_id", "algorithm", "query_hash"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("review_queue_status", "review_queue", ["status", "id"])
    op.create_table(
        "feedback",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("principal", sa.Text),
        sa.Column("organisation", sa.String(200)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("feedback_entry", "feedback", ["entry_id"])
    op.create_table(
        "video_frames",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("frame_index", sa.Integer, nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("duration", sa.Float, nullable=False),
        sa.Column("pdq", sa.LargeBinary, nullable=False),
        sa.Column("quality", sa.SmallInteger, nullable=False),
        sa.Column("band_pdq", sa.LargeBinary),
    )
    op.create_index("video_frames_entry", "video_frames", ["entry_id", "frame_index"], unique=True)
    op.create_table(
        "video_rules",
        sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), primary_key=True),
        sa.Column("min_query_share", sa.Float, nullable=False),
        sa.Column("min_reference_share", sa.Float, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "scan_jobs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("owner", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("done", sa.BigInteger, nullable=False),
        sa.Column("last_key", sa.JSON),
        sa.Column("output_bytes", sa.BigInteger),
        sa.Column("counters", sa.JSON, nullable=False),
    )
    op.create_table(
        "scanned_media",
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
    op.create_index("scanned_media_sha256", "scanned_media", ["sha256"])
    op.create_table(
        "scanned_hashes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "media_id",
            BigId,
            sa.ForeignKey("scanned_media.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.Column("quality", sa.SmallInteger),
        sa.Column("position_ms", sa.BigInteger),
    )
    op.create_index("scanned_hashes_algorithm", "scanned_hashes", ["algorithm", "id"])
    op.create_index("scanned_hashes_media", "scanned_hashes", ["media_id"])
    op.create_table(
        "reference_hashes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("variant", sa.String(32), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
    )
    op.create_index("reference_hashes_entry", "reference_hashes", ["entry_id"])
    op.create_table(
        "reference_features",
        sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), primary_key=True),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("keypoints", sa.LargeBinary, nullable=False),
        sa.Column("descriptors", sa.LargeBinary, nullable=False),
        sa.Column("thumb_width", sa.Integer, nullable=False),
        sa.Column("thumb_height", sa.Integer, nullable=False),
        sa.Column("thumbnail", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children go before the tables they reference.
    for table in (
        "reference_features",
        "reference_hashes",
        "scanned_hashes",
        "scanned_media",
        "scan_jobs",
        "video_rules",
        "video_frames",
        "feedback",
        "review_queue",
        "entry_labels",
        "label_vocabulary",
        "list_settings",
        "organisations",
        "api_keys",
    ):
        op.drop_table(table)
    with op.batch_alter_table("entries") as entries:
        entries.drop_column("source")
        entries.drop_column("organisation")
