"""Each list says which stages may match on it: ``exact``, ``hash`` or ``robust``.

One column on ``lists``; every existing list becomes ``robust``, which is how every list
matched before.

Revision 0004, after 0003. Frozen once released: the DDL below is the schema as it was at
this revision, never the current ``hashdb.store.schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lists") as lists:
        lists.add_column(
            sa.Column("matching_mode", sa.String(20), nullable=False, server_default="robust")
        )


def downgrade() -> None:
    with op.batch_alter_table("lists") as lists:
        lists.drop_column("matching_mode")
