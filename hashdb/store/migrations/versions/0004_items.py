"""Media items: one piece of media (or one raw hash added alone) owns its hashes.

A new table ``items`` and a column ``entries.item_id``. Existing entries are grouped: the
entries of one list with the same source SHA-256 (the hashes of one file) form one media
item, every other entry is an item of its own. An item's id is the id of its first entry; an
item whose entries are all retired is retired, with the reason of its last retirement.

Revision 0004, after 0003. Frozen once released: the DDL below is the schema as it was at this
revision, never the current ``hashdb.store.schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliases need INTEGER

#: The first entry of the same file on the same list as the entry ``entries``.
_FIRST_OF_FILE = (
    "SELECT MIN(sibling.id) FROM entries sibling "
    "WHERE sibling.list_id = entries.list_id AND sibling.source_sha256 = entries.source_sha256"
)
#: The latest retired entry of the item ``items``.
_LAST_RETIRED = (
    "SELECT {column} FROM entries WHERE entries.item_id = items.id "
    "ORDER BY entries.retired_at DESC, entries.id DESC LIMIT 1"
)


def upgrade() -> None:
    op.create_table(
        "items",
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
    op.create_index("items_list", "items", ["list_id", "id"])
    with op.batch_alter_table("entries") as entries:
        entries.add_column(sa.Column("item_id", BigId))
        entries.create_foreign_key(
            "entries_item_id_fkey",
            "items",
            ["item_id"],
            ["id"],
            deferrable=True,
            initially="DEFERRED",
        )
    if op.get_bind().dialect.name == "postgresql":
        # Checked at each statement here: PostgreSQL refuses the index changes below while a
        # deferred check is pending (the items are written before the entries point at them).
        op.execute("SET CONSTRAINTS entries_item_id_fkey IMMEDIATE")
    # Grouping by file reads each entry's first sibling: an index makes that a lookup.
    op.create_index("entries_file_grouping", "entries", ["list_id", "source_sha256", "id"])
    op.execute(
        "INSERT INTO items (id, list_id, kind, source_sha256, organisation, created_at) "
        "SELECT id, list_id, "
        "CASE WHEN source_sha256 IS NULL THEN 'hash' ELSE 'media' END, "
        "source_sha256, organisation, added_at FROM entries "
        f"WHERE source_sha256 IS NULL OR id = ({_FIRST_OF_FILE})"
    )
    op.execute("UPDATE entries SET item_id = id WHERE source_sha256 IS NULL")
    op.execute(f"UPDATE entries SET item_id = ({_FIRST_OF_FILE}) WHERE source_sha256 IS NOT NULL")
    op.drop_index("entries_file_grouping", "entries")
    op.create_index("entries_item", "entries", ["item_id"])
    op.execute(
        "UPDATE items SET "
        f"retired_at = ({_LAST_RETIRED.format(column='retired_at')}), "
        f"retired_reason = ({_LAST_RETIRED.format(column='retired_reason')}), "
        f"retired_by = ({_LAST_RETIRED.format(column='retired_by')}) "
        "WHERE NOT EXISTS (SELECT 1 FROM entries WHERE entries.item_id = items.id "
        "AND entries.retired_at IS NULL)"
    )


def downgrade() -> None:
    op.drop_index("entries_item", "entries")
    with op.batch_alter_table("entries") as entries:
        entries.drop_constraint("entries_item_id_fkey", type_="foreignkey")
        entries.drop_column("item_id")
    op.drop_index("items_list", "items")
    op.drop_table("items")
