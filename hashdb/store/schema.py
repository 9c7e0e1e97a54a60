"""The current database schema (SQLAlchemy Core), shared by every SQL dialect.

The revisions in ``hashdb.store.migrations.versions`` build exactly these tables; a test
compares the two on every backend, so a change here needs a new revision
(docs/development/migrations.md).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliases need INTEGER

# The version table of the releases before Alembic, which read nothing else: it stays, kept at
# the revision's number (see hashdb/store/migrations/env.py), so they refuse a newer schema.
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
    # exact, hash or robust (hashdb.store.models.MatchingMode)
    sa.Column("matching_mode", sa.String(20), nullable=False, server_default="robust"),
)

# A media item: one piece of media (an image or a video) or one raw hash added alone, with
# its hashes as entries. Analysts act on items; an item's id is the id of its first entry.
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=False),
    sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source_sha256", sa.String(64)),
    sa.Column("organisation", sa.String(200)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("retired_at", sa.DateTime(timezone=True)),
    sa.Column("retired_reason", sa.Text),
    sa.Column("retired_by", sa.Text),
)
sa.Index("items_list", items.c.list_id, items.c.id)

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
    # Provenance (added after the first release, hence nullable).
    sa.Column("organisation", sa.String(200)),
    sa.Column("source", sa.Text),
    # The item the entry belongs to, set in the transaction that inserts the entry. Checked
    # at commit, so that a bulk insert writes its entries (item id = entry id) before their
    # items; nullable for the inserts that learn their ids only once written.
    sa.Column("item_id", BigId, sa.ForeignKey("items.id", deferrable=True, initially="DEFERRED")),
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
sa.Index("entries_item", entries.c.item_id)

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
    # Who may read the record: the list it concerns, else the organisation (an import, a key).
    sa.Column("list_id", BigId),
    sa.Column("organisation", sa.String(200)),
)
sa.Index("audit_log_target", audit_log.c.target_type, audit_log.c.target_id)

# --- API keys ---
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
# --- organisations, list sharing, labels, review queue, feedback ---

organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per list that has an owner, a sharing setting or a review radius; a list without a
# row is a deployment list: no owner, shared read-only, no review radius.
list_settings = sa.Table(
    "list_settings",
    metadata,
    sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), primary_key=True),
    sa.Column("owner_organisation", sa.String(200)),
    sa.Column("sharing", sa.String(20), nullable=False),
    sa.Column("review_radius", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Whether media added to the list keeps a thumbnail with its item (off until told).
    sa.Column("keep_thumbnails", sa.Boolean, nullable=False, server_default=sa.false()),
)

label_vocabulary = sa.Table(
    "label_vocabulary",
    metadata,
    sa.Column("facet", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

entry_labels = sa.Table(
    "entry_labels",
    metadata,
    sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), primary_key=True),
    sa.Column("label", sa.String(265), primary_key=True),
)
sa.Index("entry_labels_label", entry_labels.c.label)

review_queue = sa.Table(
    "review_queue",
    metadata,
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
# One pending item per (entry, query hash): a near-miss seen again bumps its count.
sa.Index(
    "review_queue_pending_unique",
    review_queue.c.entry_id,
    review_queue.c.algorithm,
    review_queue.c.query_hash,
    unique=True,
    sqlite_where=review_queue.c.status == "pending",
    postgresql_where=review_queue.c.status == "pending",
)
sa.Index("review_queue_status", review_queue.c.status, review_queue.c.id)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("principal", sa.Text),
    sa.Column("organisation", sa.String(200)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("feedback_entry", feedback.c.entry_id)
# --- video frame hashes and per-list video match rules ---

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
# --- bulk rescans (scan jobs, media-hash store) ---

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
# --- robust matching (reference-side variant hashes and keypoints) ---

# Extra hashes of one media entry (crops, small rotations of the reference), so edited
# re-uploads land near *some* row; each row points at the entry it stands for.
reference_hashes = sa.Table(
    "reference_hashes",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("entry_id", BigId, sa.ForeignKey("entries.id"), nullable=False),
    sa.Column("variant", sa.String(32), nullable=False),
    sa.Column("algorithm", sa.String(32), nullable=False),
    sa.Column("hash", sa.LargeBinary, nullable=False),
)
sa.Index("reference_hashes_entry", reference_hashes.c.entry_id)

# What the second-stage geometric check needs of a reference: ORB keypoints and descriptors
# and a small grayscale thumbnail for the aligned-content check. Raw hashes have none.
reference_features = sa.Table(
    "reference_features",
    metadata,
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
# --- thumbnails (the only pixels hashdb keeps) ---

# A small picture for the console: of an upload, kept with the review item its near-miss made
# (``kind`` upload: deleted when the item is resolved or after the retention period), or of a
# reference, kept with its media item on a list that keeps thumbnails (``kind`` reference).
thumbnails = sa.Table(
    "thumbnails",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), nullable=False),
    sa.Column("review_item_id", BigId, sa.ForeignKey("review_queue.id")),
    sa.Column("item_id", BigId, sa.ForeignKey("items.id")),
    sa.Column("content_type", sa.String(32), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    # 1 for a still image; a video's strip holds this many frames side by side.
    sa.Column("frames", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("thumbnails_review_item", thumbnails.c.review_item_id, unique=True)
sa.Index("thumbnails_item", thumbnails.c.item_id, unique=True)
sa.Index("thumbnails_kind_created", thumbnails.c.kind, thumbnails.c.created_at)
