"""The audit log: append-only, each record stamped with the list or organisation it concerns,
so that a reader sees only the records about what it may see (:class:`AuditScope`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hashdb.store import schema
from hashdb.store.insert_many import insert_many
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import PUBLIC_AUDIT_TARGETS, AuditRecord, AuditScope
from hashdb.store.rows import aware, utcnow


class AuditSQL(SQLMixin):
    if TYPE_CHECKING:
        #: Audit rows of the open write transaction (``SQLStore.transaction`` writes them).
        _audit_rows: ContextVar[list[dict[str, Any]] | None]

        def transaction(self) -> AbstractContextManager[None]: ...

    def record_audit(
        self,
        actor: str | None,
        action: str,
        target_type: str,
        target_id: str | None,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
        *,
        list_id: int | None = None,
        organisation: str | None = None,
    ) -> None:
        """Record one audited action. Rows are kept until the transaction commits (or reads)
        and written then in one multi-row insert: an add of a thousand hashes audits each
        entry without a thousand statements."""
        row = {
            "at": utcnow(),
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "before": before,
            "after": after,
            "list_id": list_id,
            "organisation": organisation,
        }
        pending = self._audit_rows.get()
        if pending is not None:  # inside a write transaction: written when it commits
            pending.append(row)
            return
        with self.transaction():
            pending = self._audit_rows.get()
            assert pending is not None
            pending.append(row)

    def _write_audit_rows(self, connection: sa.Connection) -> None:
        pending = self._audit_rows.get()
        if pending:
            insert_many(connection, schema.audit_log, pending)
            pending.clear()

    def audit_records(
        self,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
        scope: AuditScope | None = None,
    ) -> list[AuditRecord]:
        table = schema.audit_log
        query = sa.select(table).order_by(table.c.id).limit(limit)
        if target_type is not None:
            query = query.where(table.c.target_type == target_type)
        if target_id is not None:
            query = query.where(table.c.target_id == target_id)
        if since is not None:
            query = query.where(table.c.at >= since)
        if scope is not None:
            query = query.where(_visible(scope))
        with self._reading() as connection:
            return [_record(row) for row in connection.execute(query)]


def _visible(scope: AuditScope) -> sa.ColumnElement[bool]:
    table, lists = schema.audit_log, schema.lists
    # A list's records are the ones written since it was created: SQLite reuses the id of a
    # deleted list, and the new list's readers must not inherit the old one's history.
    about_a_list: sa.ColumnElement[bool] = sa.exists().where(
        lists.c.id == table.c.list_id, lists.c.created_at <= table.c.at
    )
    if scope.list_ids is not None:
        about_a_list = sa.and_(table.c.list_id.in_(sorted(scope.list_ids)), about_a_list)
    allowed: list[sa.ColumnElement[bool]] = [
        table.c.target_type.in_(sorted(PUBLIC_AUDIT_TARGETS)),
        about_a_list,
    ]
    if scope.organisation is not None:
        about_the_organisation = sa.and_(
            table.c.list_id.is_(None), table.c.organisation == scope.organisation
        )
        if not scope.keys:
            about_the_organisation = sa.and_(about_the_organisation, table.c.target_type != "key")
        allowed.append(about_the_organisation)
    return sa.or_(*allowed)


def _record(row: sa.Row[Any]) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=aware(row.at),
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        before=row.before,
        after=row.after,
    )
