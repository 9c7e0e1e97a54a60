"""Audit records say whom they concern: the list, or else the organisation.

Two nullable columns on ``audit_log``, filled when a record is written, so that a reader sees
only the records about what it may see (docs/security.md). Existing records are stamped where
the database still says whom they concern: an entry's, a review item's and a live list's
records with the list, a key's with the key's organisation. The rest (imports, deleted lists)
stay unstamped, which makes them the operators' alone.

Revision 0003, after 0002. Frozen once released: the DDL below is the schema as it was at this
revision, never the current ``hashdb.store.schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowid aliases need INTEGER

#: target_type -> the statement that finds the list id of such a record's target.
_LIST_OF = {
    "entry": "SELECT entries.list_id FROM entries "
    "WHERE CAST(entries.id AS TEXT) = audit_log.target_id",
    "review": "SELECT review_queue.list_id FROM review_queue "
    "WHERE CAST(review_queue.id AS TEXT) = audit_log.target_id",
    "list": "SELECT lists.id FROM lists WHERE lists.name = audit_log.target_id",
}


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as audit_log:
        audit_log.add_column(sa.Column("list_id", BigId))
        audit_log.add_column(sa.Column("organisation", sa.String(200)))
    for target_type, statement in _LIST_OF.items():
        op.execute(
            f"UPDATE audit_log SET list_id = ({statement}) "
            f"WHERE target_type = '{target_type}' AND list_id IS NULL"
        )
    op.execute(
        "UPDATE audit_log SET organisation = (SELECT api_keys.organisation FROM api_keys "
        "WHERE CAST(api_keys.id AS TEXT) = audit_log.target_id) WHERE target_type = 'key'"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as audit_log:
        audit_log.drop_column("organisation")
        audit_log.drop_column("list_id")
