"""Platforms' feedback on entries: agree (a true match) or disagree (a false positive).

Feedback is append-only history; a principal's latest verdict on an entry is the one that
counts, so changing one's mind moves one vote instead of adding a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import Feedback, Verdict
from hashdb.store.rows import in_chunks


class FeedbackSQL(SQLMixin):
    def add_feedback(
        self,
        entry_id: int,
        verdict: Verdict,
        reason: str | None,
        principal: str | None,
        organisation: str | None,
    ) -> Feedback:
        table = schema.feedback
        with self._writing() as connection:
            feedback_id = connection.execute(
                table.insert()
                .values(
                    entry_id=entry_id,
                    verdict=Verdict(verdict).value,
                    reason=reason,
                    principal=principal,
                    organisation=organisation,
                    at=datetime.now(UTC),
                )
                .returning(table.c.id)
            ).scalar_one()
            row = connection.execute(sa.select(table).where(table.c.id == feedback_id)).one()
            return _feedback(row)

    def feedback_for(self, entry_ids: Sequence[int]) -> dict[int, list[Feedback]]:
        """Every feedback row on these entries, oldest first."""
        table = schema.feedback
        found: dict[int, list[Feedback]] = {}
        with self._reading() as connection:
            for chunk in in_chunks(entry_ids):
                rows = connection.execute(
                    sa.select(table).where(table.c.entry_id.in_(chunk)).order_by(table.c.id)
                )
                for row in rows:
                    found.setdefault(row.entry_id, []).append(_feedback(row))
        return found


def _feedback(row: sa.Row[Any]) -> Feedback:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    return Feedback(
        row.id, row.entry_id, Verdict(row.verdict), row.reason, row.principal, row.organisation, at
    )
