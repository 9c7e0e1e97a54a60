"""${message}

Revision ${up_revision}, after ${down_revision | comma,n}. Frozen once released: the DDL below is
the schema as it was at this revision, never the current ``hashdb.store.schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
