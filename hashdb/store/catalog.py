"""Analyst queries over lists and entries in the SQL store: delete an empty list, search entries.

A mixin for :class:`~hashdb.store.sql.SQLStore`, kept apart from the core read/write paths.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

import sqlalchemy as sa

from hashdb.errors import Conflict, EntryNotFound
from hashdb.store import schema
from hashdb.store.models import ChangeKind, Entry, EntryQuery, HashList
from hashdb.store.rows import entry_from_row


class _SQLBase(Protocol):
    engine: sa.Engine

    def _reading(self) -> AbstractContextManager[sa.Connection]: ...
    def _writing(self) -> AbstractContextManager[sa.Connection]: ...
    def _entry_query(self) -> sa.Select[Any]: ...
    def get_list(self, name: str) -> HashList: ...
    def _log_change(
        self,
        connection: sa.Connection,
        kind: ChangeKind,
        *,
        entry_id: int | None = None,
        list_id: int | None = None,
    ) -> None: ...


class CatalogSQL:
    """The :class:`~hashdb.store.base.CatalogStore` half of the SQL store."""

    def delete_list(self: _SQLBase, name: str) -> HashList:
        """Delete a list that never held an entry; entries (even retired) stay for audit."""
        with self._writing() as connection:
            current = self.get_list(name)
            count = connection.execute(
                sa.select(sa.func.count())
                .select_from(schema.entries)
                .where(schema.entries.c.list_id == current.id)
            ).scalar_one()
            if count:
                raise Conflict(
                    f"list {name!r} has {count} entries (live or retired, kept for audit); "
                    "only an empty list can be deleted",
                    list=name,
                    entries=int(count),
                )
            # What was set about the list goes with it (an empty list has no review items).
            for table in (schema.list_settings, schema.video_rules):
                connection.execute(table.delete().where(table.c.list_id == current.id))
            connection.execute(schema.lists.delete().where(schema.lists.c.id == current.id))
            self._log_change(connection, ChangeKind.LIST, list_id=current.id)
        return current

    def update_entry(
        self: _SQLBase, entry_id: int, *, label: str | None = None, note: str | None = None
    ) -> Entry:
        """Change an entry's label or note (``None`` keeps the value); retired entries too."""

        values = {
            key: value for key, value in (("label", label), ("note", note)) if value is not None
        }
        with self._writing() as connection:
            if values:
                result = connection.execute(
                    schema.entries.update().where(schema.entries.c.id == entry_id).values(**values)
                )
                if result.rowcount == 0:
                    raise EntryNotFound(f"no entry with id {entry_id}", entry_id=entry_id)
                self._log_change(connection, ChangeKind.UPDATE, entry_id=entry_id)
            row = connection.execute(
                self._entry_query().where(schema.entries.c.id == entry_id)
            ).first()
        if row is None:
            raise EntryNotFound(f"no entry with id {entry_id}", entry_id=entry_id)
        return entry_from_row(row)

    def search_entries(self: _SQLBase, query: EntryQuery) -> list[Entry]:

        entries = schema.entries
        select = self._entry_query().where(entries.c.id > query.after_id)
        if query.list_name is not None:
            self.get_list(query.list_name)  # raises ListNotFound for a typo
            select = select.where(schema.lists.c.name == query.list_name)
        if query.list_ids is not None:
            select = select.where(entries.c.list_id.in_(sorted(query.list_ids)))
        if query.label is not None:
            select = select.where(entries.c.label == query.label)
        if query.added_after is not None:
            select = select.where(entries.c.added_at > query.added_after)
        if not query.include_retired:
            select = select.where(entries.c.retired_at.is_(None))
        select = select.order_by(entries.c.id).limit(query.limit)
        with self._reading() as connection:
            return [entry_from_row(row) for row in connection.execute(select)]
