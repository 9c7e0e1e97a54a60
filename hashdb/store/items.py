"""Items: the SQL of grouping entries into items, and of reading, retiring and restoring them.

An item's id is the id of its first entry, so an insert of many entries (an import) makes
their items in two set-based statements once the entries have their ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hashdb.errors import Conflict, InvalidValue, ItemNotFound
from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import ChangeKind, Entry, HashList, Item, ItemKind, ItemQuery, NewEntry
from hashdb.store.rows import aware, entry_from_row, entry_labels, in_chunks, utcnow


def attach_new_entries(connection: sa.Connection, start_id: int, end_id: int | None = None) -> None:
    """Each entry in ``(start_id, end_id]`` without an item becomes an item of its own (a
    raw hash), retired if the entry is (an imported history row)."""
    entries = schema.entries
    in_range = [entries.c.id > start_id]
    if end_id is not None:
        in_range.append(entries.c.id <= end_id)
    connection.execute(
        entries.update().where(*in_range, entries.c.item_id.is_(None)).values(item_id=entries.c.id)
    )
    insert_own_items(connection, start_id, end_id)


#: What a raw hash's own item holds: items column -> the entries column it is copied from
#: (its kind is ``hash``). Bulk inserts write items from these, whichever comes first.
OWN_ITEM_COLUMNS = {
    "id": "id",
    "list_id": "list_id",
    "source_sha256": "source_sha256",
    "organisation": "organisation",
    "created_at": "added_at",
    "retired_at": "retired_at",
    "retired_reason": "retired_reason",
    "retired_by": "retired_by",
}


def insert_own_items(connection: sa.Connection, start_id: int, end_id: int | None = None) -> None:
    """The items of the entries in ``(start_id, end_id]`` that are their own item (item id =
    entry id), written by a bulk insert that set ``item_id`` itself."""
    entries = schema.entries
    in_range = [entries.c.id > start_id, entries.c.item_id == entries.c.id]
    if end_id is not None:
        in_range.append(entries.c.id <= end_id)
    connection.execute(
        schema.items.insert().from_select(
            [*OWN_ITEM_COLUMNS, "kind"],
            sa.select(
                *(entries.c[column] for column in OWN_ITEM_COLUMNS.values()),
                sa.literal(ItemKind.HASH.value),
            ).where(*in_range),
        )
    )


def form_item(
    connection: sa.Connection,
    item_id: int | None,
    *,
    list_id: int,
    first: NewEntry,
    entry_ids: Sequence[int],
    now: datetime,
) -> int:
    """Put the new entries ``entry_ids`` in the item ``item_id``, or in a new media item
    (named after the first of them) when it is None; the item's id."""
    if item_id is None:
        item_id = min(entry_ids)
        connection.execute(
            schema.items.insert().values(
                id=item_id,
                list_id=list_id,
                kind=ItemKind.MEDIA.value,
                source_sha256=first.source_sha256,
                organisation=first.organisation,
                created_at=now,
            )
        )
    else:
        # A hash added to a retired item brings it back: it has a live hash again.
        connection.execute(
            schema.items.update()
            .where(schema.items.c.id == item_id)
            .values(retired_at=None, retired_reason=None, retired_by=None)
        )
    entries = schema.entries
    ids = sorted(entry_ids)
    for chunk in in_chunks(ids):
        connection.execute(entries.update().where(entries.c.id.in_(chunk)).values(item_id=item_id))
    return item_id


def retire_if_spent(
    connection: sa.Connection, item_ids: Sequence[int], at: datetime, reason: str, by: str | None
) -> None:
    """Mark retired the items among ``item_ids`` left without a live hash."""
    items, entries = schema.items, schema.entries
    live = sa.exists().where(entries.c.item_id == items.c.id, entries.c.retired_at.is_(None))
    for chunk in in_chunks(item_ids):
        connection.execute(
            items.update()
            .where(
                items.c.id.in_(chunk),
                items.c.retired_at.is_(None),
                ~live,
            )
            .values(retired_at=at, retired_reason=reason, retired_by=by)
        )


class ItemSQL(SQLMixin):
    """The :class:`~hashdb.store.base.ItemStore` half of the SQL store."""

    if TYPE_CHECKING:

        def _entry_query(self) -> sa.Select[Any]: ...
        def get_list(self, name: str) -> HashList: ...

    def get_item(self, item_id: int) -> Item:
        found = self.get_items([item_id])
        if item_id not in found:
            raise ItemNotFound(f"no item with id {item_id}", item_id=item_id)
        return found[item_id]

    def get_items(self, item_ids: Sequence[int]) -> dict[int, Item]:
        """The items (with all their hashes) among ``item_ids`` that exist."""
        items, entries = schema.items, schema.entries
        found: dict[int, Item] = {}
        with self._reading() as connection:
            for chunk in in_chunks(int(item_id) for item_id in item_ids):
                rows = connection.execute(
                    sa.select(items, schema.lists.c.name.label("list_name"))
                    .join(schema.lists, schema.lists.c.id == items.c.list_id)
                    .where(items.c.id.in_(chunk))
                ).all()
                entry_rows = connection.execute(
                    self._entry_query().where(entries.c.item_id.in_(chunk)).order_by(entries.c.id)
                ).all()
                labels = entry_labels(connection, [row.id for row in entry_rows])
                hashes: dict[int, list[Entry]] = {}
                for entry_row in entry_rows:
                    hashes.setdefault(entry_row.item_id, []).append(
                        entry_from_row(entry_row, labels.get(entry_row.id, ()))
                    )
                for row in rows:
                    found[row.id] = Item(
                        id=row.id,
                        list_id=row.list_id,
                        list_name=row.list_name,
                        kind=ItemKind(row.kind),
                        source_sha256=row.source_sha256,
                        organisation=row.organisation,
                        created_at=aware(row.created_at),
                        retired_at=aware(row.retired_at),
                        retired_reason=row.retired_reason,
                        retired_by=row.retired_by,
                        entries=tuple(hashes.get(row.id, ())),
                    )
        return found

    def search_items(self, query: ItemQuery) -> list[Item]:
        """Items in id order after ``query.after_id``, filtered as ``query`` says."""
        items, entries = schema.items, schema.entries
        select = sa.select(items.c.id).where(items.c.id > query.after_id)
        if query.list_name is not None:
            select = select.where(items.c.list_id == self.get_list(query.list_name).id)
        if query.list_ids is not None:
            select = select.where(items.c.list_id.in_(sorted(query.list_ids)))
        if query.label is not None:
            labelled = sa.select(schema.entry_labels.c.entry_id).where(
                schema.entry_labels.c.label == query.label
            )
            select = select.where(
                sa.exists().where(
                    entries.c.item_id == items.c.id,
                    sa.or_(entries.c.label == query.label, entries.c.id.in_(labelled)),
                )
            )
        if query.added_after is not None:
            select = select.where(items.c.created_at > query.added_after)
        if query.hash is not None:
            select = select.where(
                sa.or_(
                    items.c.source_sha256 == query.hash.hex(),
                    sa.exists().where(
                        entries.c.item_id == items.c.id, entries.c.hash == query.hash
                    ),
                )
            )
        if not query.include_retired:
            select = select.where(items.c.retired_at.is_(None))
        select = select.order_by(items.c.id).limit(query.limit)
        with self._reading() as connection:
            ids = list(connection.execute(select).scalars())
        found = self.get_items(ids)
        return [found[item_id] for item_id in ids if item_id in found]

    def retire_item(self, item_id: int, reason: str, retired_by: str | None) -> Item:
        """Retire every live hash of the item at once: none of them matches any more."""
        if not reason.strip():
            raise InvalidValue("retiring an item needs a reason")
        now = utcnow()
        entries = schema.entries
        with self._writing() as connection:
            item = self.get_item(item_id)
            if not item.live:
                retired_at = item.retired_at.isoformat() if item.retired_at else "?"
                raise Conflict(
                    f"item {item_id} was already retired at {retired_at}", item_id=item_id
                )
            live = [entry.id for entry in item.entries if entry.live]
            connection.execute(
                entries.update()
                .where(entries.c.item_id == item_id, entries.c.retired_at.is_(None))
                .values(retired_at=now, retired_reason=reason.strip(), retired_by=retired_by)
            )
            for entry_id in live:
                self._log_change(
                    connection, ChangeKind.RETIRE, entry_id=entry_id, list_id=item.list_id
                )
            connection.execute(
                schema.items.update()
                .where(schema.items.c.id == item_id)
                .values(retired_at=now, retired_reason=reason.strip(), retired_by=retired_by)
            )
        return self.get_item(item_id)

    def restore_item(self, item_id: int) -> Item:
        """Bring back the hashes retired with the item: they match again at once. A hash
        added again since (live in another entry of the list) is a conflict."""
        entries = schema.entries
        with self._writing() as connection:
            item = self.get_item(item_id)
            if item.live:
                raise Conflict(f"item {item_id} is not retired", item_id=item_id)
            back = [entry for entry in item.entries if entry.retired_at == item.retired_at]
            for entry in back:
                clash = connection.execute(
                    sa.select(entries.c.id, entries.c.item_id).where(
                        entries.c.list_id == item.list_id,
                        entries.c.algorithm == entry.algorithm,
                        entries.c.hash == entry.value,
                        entries.c.retired_at.is_(None),
                    )
                ).first()
                if clash is not None:
                    raise Conflict(
                        f"the {entry.algorithm} hash of item {item_id} is live again in item "
                        f"{clash.item_id}: retire that one first to restore this one",
                        item_id=item_id,
                        live_item_id=clash.item_id,
                    )
            ids = [entry.id for entry in back]
            connection.execute(
                entries.update()
                .where(entries.c.id.in_(ids))
                .values(retired_at=None, retired_reason=None, retired_by=None)
            )
            for entry_id in ids:
                self._log_change(
                    connection, ChangeKind.ADD, entry_id=entry_id, list_id=item.list_id
                )
            connection.execute(
                schema.items.update()
                .where(schema.items.c.id == item_id)
                .values(retired_at=None, retired_reason=None, retired_by=None)
            )
        return self.get_item(item_id)
