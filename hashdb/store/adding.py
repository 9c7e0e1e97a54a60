"""Adding entries to a list: the SQL of ``add_entries``, a statement per step, not per row.

Writers are serialised (``BEGIN IMMEDIATE`` / advisory lock), so every entry with an id above
the largest one seen before the insert was written by this call: the rows go in through one
driver ``executemany`` and the new ids are read back by key from that id range, instead of
``INSERT ... RETURNING``, which SQLAlchemy can only return in parameter order on SQLite by
inserting one row per statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hashdb.store import schema
from hashdb.store.insert_many import insert_many
from hashdb.store.items import attach_new_entries, form_item
from hashdb.store.models import AddOutcome, ChangeKind, NewEntry
from hashdb.store.rows import in_chunks


def add_entries(
    connection: sa.Connection,
    list_id: int,
    entries: Sequence[NewEntry],
    now: datetime,
    *,
    media: bool = False,
    item_id: int | None = None,
) -> list[AddOutcome]:
    """One outcome per entry, in order: a hash already live in the list (or earlier in
    ``entries``) is reported with that entry's id, not added again.

    The new entries join the item ``item_id``; else with ``media`` they form one new media
    item, else each is an item of its own (a raw hash)."""
    table = schema.entries
    existing = live_ids(connection, list_id, entries)
    outcomes: list[AddOutcome | None] = [None] * len(entries)
    pending: dict[tuple[str, bytes], list[int]] = {}
    for position, new in enumerate(entries):
        key = (new.algorithm, new.value)
        if key in existing:
            found_id, found_item = existing[key]
            outcomes[position] = AddOutcome(found_id, created=False, item_id=found_item)
        else:
            pending.setdefault(key, []).append(position)
    if pending:
        firsts = [entries[positions[0]] for positions in pending.values()]
        start_id = _last_id(connection)
        insert_many(
            connection,
            table,
            [
                {
                    "list_id": list_id,
                    "algorithm": new.algorithm,
                    "hash": new.value,
                    "quality": new.quality,
                    "source_sha256": new.source_sha256,
                    "label": new.label,
                    "note": new.note,
                    "added_by": new.added_by,
                    "organisation": new.organisation,
                    "source": new.source,
                    "added_at": now,
                }
                for new in firsts
            ],
        )
        end_id = _last_id(connection)
        inserted = _added_between(connection, start_id, end_id)
        new_ids = [inserted[key] for key in pending]
        if item_id is not None or media:
            item_id = form_item(
                connection,
                item_id,
                list_id=list_id,
                first=firsts[0],
                entry_ids=new_ids,
                now=now,
            )
        else:
            attach_new_entries(connection, start_id, end_id)
        for positions, entry_id in zip(pending.values(), new_ids, strict=True):
            entry_item = entry_id if item_id is None else item_id
            outcomes[positions[0]] = AddOutcome(
                entry_id, created=True, item_id=entry_item, added_at=now
            )
            for duplicate in positions[1:]:
                outcomes[duplicate] = AddOutcome(entry_id, created=False, item_id=entry_item)
        labels = [
            {"entry_id": entry_id, "label": label}
            for new, entry_id in zip(firsts, new_ids, strict=True)
            for label in new.labels
        ]
        insert_many(connection, schema.entry_labels, labels)
        connection.execute(
            schema.changes.insert().from_select(
                ["kind", "entry_id", "list_id", "at"],
                sa.select(
                    sa.literal(ChangeKind.ADD.value),
                    table.c.id,
                    table.c.list_id,
                    sa.literal(now, schema.changes.c.at.type),
                )
                .where(table.c.id > start_id, table.c.id <= end_id)
                .order_by(table.c.id),
            )
        )
    return [outcome for outcome in outcomes if outcome is not None]


def live_ids(
    connection: sa.Connection, list_id: int, entries: Sequence[NewEntry]
) -> dict[tuple[str, bytes], tuple[int, int | None]]:
    """The ids (entry, item) of the entries' hashes already live in the list."""
    by_algorithm: dict[str, list[bytes]] = {}
    for new in entries:
        by_algorithm.setdefault(new.algorithm, []).append(new.value)
    found: dict[tuple[str, bytes], tuple[int, int | None]] = {}
    query = _PROBES[connection.dialect.name]
    for algorithm, values in by_algorithm.items():
        for chunk in in_chunks(values):
            rows = connection.execute(
                query,
                {
                    "list_id": list_id,
                    "algorithm": algorithm,
                    "values": chunk,
                },
            )
            for row in rows:
                found[(algorithm, bytes(row.hash))] = (row.id, row.item_id)
    return found


#: The live entries of one list and algorithm among some hashes, read by the unique index
#: ``entries_live_unique`` on both backends.
_PROBES: dict[str, sa.Executable] = {
    # With a thousand values, SQLite's sampled statistics can make scanning the whole list
    # look cheaper than a thousand probes of the unique index (118 ms against about 2 ms at
    # 100,000 entries): the query names the index.
    "sqlite": sa.text(
        "SELECT id, item_id, hash FROM entries INDEXED BY entries_live_unique "
        "WHERE list_id = :list_id AND algorithm = :algorithm AND retired_at IS NULL "
        "AND hash IN :values"
    ).bindparams(sa.bindparam("values", expanding=True)),
    # PostgreSQL costs an IN list of 500 values as 500 descents of the index, and with
    # statistics prefers to scan a list of up to tens of thousands of entries (3.3 ms against
    # 1.5 ms for the probes at 25,000). One probe per value, each a lookup of one key of the
    # unique index (LIMIT 1 keeps the planner from turning it into a join), is planned as
    # such, with the values or without (the generic plan of a prepared statement). Without
    # statistics the planner takes any index on ``algorithm`` for one row, whatever the query
    # says: hashdb keeps them (:mod:`hashdb.store.statistics`).
    "postgresql": sa.text(
        "SELECT live.id, live.item_id, live.hash "
        "FROM unnest(CAST(:values AS bytea[])) AS wanted(hash) "
        "CROSS JOIN LATERAL (SELECT id, item_id, hash FROM entries "
        "WHERE list_id = :list_id AND algorithm = :algorithm AND retired_at IS NULL "
        "AND hash = wanted.hash LIMIT 1) AS live"
    ),
}


def _last_id(connection: sa.Connection) -> int:
    return int(connection.execute(sa.select(sa.func.max(schema.entries.c.id))).scalar() or 0)


def _added_between(
    connection: sa.Connection, start_id: int, end_id: int
) -> dict[tuple[str, bytes], int]:
    """(algorithm, hash) -> id of the entries in ``(start_id, end_id]``: this call's, as
    writers are serialised. A closed range reads by key even without planner statistics."""
    table = schema.entries
    rows: Any = connection.execute(
        sa.select(table.c.id, table.c.algorithm, table.c.hash).where(
            table.c.id > start_id, table.c.id <= end_id
        )
    )
    return {(algorithm, bytes(value)): entry_id for entry_id, algorithm, value in rows}
