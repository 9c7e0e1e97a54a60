"""Thumbnails: the few pixels the console may show an analyst.

A new table ``thumbnails``: a small picture (an image's long side at most 160 pixels, a
video's strip of a few frames) of an upload kept with the review item its near-miss made
(deleted when the item is resolved or after the retention period), or of a reference kept
with its media item on a list that opted in. A new column ``list_settings.keep_thumbnails``
says whether a list did (no list does until told).

Revision 0006, after 0005. Frozen once released: the DDL below is the schema as it was at this
revision, never the current ``hashdb.store.schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliases need INTEGER


def upgrade() -> None:
    op.create_table(
        "thumbnails",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("list_id", BigId, sa.ForeignKey("lists.id"), nullable=False),
        sa.Column("review_item_id", BigId, sa.ForeignKey("review_queue.id")),
        sa.Column("item_id", BigId, sa.ForeignKey("items.id")),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("frames", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("thumbnails_review_item", "thumbnails", ["review_item_id"], unique=True)
    op.create_index("thumbnails_item", "thumbnails", ["item_id"], unique=True)
    op.create_index("thumbnails_kind_created", "thumbnails", ["kind", "created_at"])
    op.add_column(
        "list_settings",
        sa.Column("keep_thumbnails", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("list_settings") as list_settings:
        list_settings.drop_column("keep_thumbnails")
    op.drop_index("thumbnails_kind_created", "thumbnails")
    op.drop_index("thumbnails_item", "thumbnails")
    op.drop_index("thumbnails_review_item", "thumbnails")
    op.drop_table("thumbnails")
