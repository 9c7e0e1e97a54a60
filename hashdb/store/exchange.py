"""Bulk import and export of entries: the SQL side of ``hashdb import`` / ``hashdb export``.

Imports run inside the caller's write transaction and either apply completely or not at all.
Entries go in through ``executemany`` on the raw driver cursor (SQLite) or SQLAlchemy's batched
inserts (PostgreSQL), and the change sequence is written with one ``INSERT ... SELECT`` rather
than a row per entry. Writers are serialised (``BEGIN IMMEDIATE`` / advisory lock), so every
entry with an id above the largest one seen at the start was written by this import.

Idempotent: a live entry already in the list is not added again; a retired row whose
retirement is already recorded changes nothing; a retired row for a hash live in the list
retires that entry (how ``--since`` sync carries retirements across).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa

from hashdb.store import schema
from hashdb.store.insert_many import bind_processor
from hashdb.store.items import attach_new_entries, retire_if_spent
from hashdb.store.models import ChangeKind, Entry, NewVideoFrame
from hashdb.store.rows import aware, entry_from_row, entry_labels, in_chunks
from hashdb.store.video import frame_row

#: Columns an import may set besides list, algorithm and hash (the entries table decides).
_FIXED = {"id", "list_id", "algorithm", "hash", "item_id"}
_RETIREMENT = ("retired_at", "retired_reason", "retired_by")


@cache
def importable_columns() -> dict[str, sa.Column[Any]]:
    return {c.name: c for c in schema.entries.columns if c.name not in _FIXED}


class ImportRow(NamedTuple):
    """One validated row: ``fields`` maps entries-table columns to Python values.

    A named tuple rather than a frozen dataclass: millions are made per big import."""

    line: int
    algorithm: str
    value: bytes
    fields: dict[str, Any]
    #: Controlled-vocabulary labels, kept in ``entry_labels`` rather than an entries column.
    labels: tuple[str, ...] = ()
    #: A video entry's frame hashes, kept in ``video_frames``.
    frames: tuple[NewVideoFrame, ...] = ()

    @property
    def retired_at(self) -> datetime | None:
        value = self.fields.get("retired_at")
        return value if isinstance(value, datetime) else None


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int = 0
    existing: int = 0
    retired: int = 0
    history: int = 0  # retired rows recorded as retired entries


def import_rows(
    connection: sa.Connection, list_id: int, rows: Sequence[ImportRow], now: datetime
) -> ImportCounts:
    entries = schema.entries
    live: dict[tuple[str, bytes], int] = {}
    retired: set[tuple[str, bytes, datetime | None]] = set()
    existing_rows = connection.execute(
        sa.select(entries.c.id, entries.c.algorithm, entries.c.hash, entries.c.retired_at).where(
            entries.c.list_id == list_id
        )
    )
    for entry_id, algorithm, value, retired_at in existing_rows:
        if retired_at is None:
            live[(algorithm, bytes(value))] = entry_id
        else:
            retired.add((algorithm, bytes(value), aware(retired_at)))
    start_id = int(connection.execute(sa.select(sa.func.max(entries.c.id))).scalar() or 0)

    new: dict[tuple[str, bytes], ImportRow] = {}  # live rows to insert, by key
    history: list[ImportRow] = []  # retired rows to insert as retired entries
    retire: dict[int, dict[str, Any]] = {}  # existing live entry id -> retirement
    existing = 0
    for row in rows:
        key = (row.algorithm, row.value)
        retired_at = aware(row.retired_at)
        if retired_at is None:
            if key in live or key in new:
                existing += 1
            else:
                new[key] = row
            continue
        if (row.algorithm, row.value, retired_at) in retired:
            existing += 1
        elif key in live:
            retire[live.pop(key)] = {name: row.fields.get(name) for name in _RETIREMENT}
            retired.add((row.algorithm, row.value, retired_at))
        elif key in new:  # added and retired within the same file: only the retirement stays
            del new[key]
            history.append(row)
            retired.add((row.algorithm, row.value, retired_at))
        else:
            history.append(row)
            retired.add((row.algorithm, row.value, retired_at))

    _insert(connection, list_id, now, [*history, *new.values()])
    attach_new_entries(connection, start_id)
    _insert_side_rows(connection, list_id, start_id, rows)
    if new:
        connection.execute(
            schema.changes.insert().from_select(
                ["kind", "entry_id", "list_id", "at"],
                sa.select(
                    sa.literal(ChangeKind.ADD.value),
                    entries.c.id,
                    entries.c.list_id,
                    sa.literal(now, schema.changes.c.at.type),
                )
                .where(entries.c.id > start_id, entries.c.retired_at.is_(None))
                .order_by(entries.c.id),
            )
        )
    if retire:
        connection.execute(
            entries.update()
            .where(entries.c.id == sa.bindparam("entry_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in _RETIREMENT}),
            [
                {"entry_id": entry_id, **{f"new_{k}": v for k, v in values.items()}}
                for entry_id, values in retire.items()
            ],
        )
        connection.execute(
            schema.changes.insert(),
            [
                {
                    "kind": ChangeKind.RETIRE.value,
                    "entry_id": entry_id,
                    "list_id": list_id,
                    "at": now,
                }
                for entry_id in retire
            ],
        )
        _retire_spent_items(connection, list(retire), now)
    return ImportCounts(
        created=len(new), existing=existing, retired=len(retire), history=len(history)
    )


def _retire_spent_items(connection: sa.Connection, entry_ids: list[int], now: datetime) -> None:
    """Mark retired the items an import left without a live hash."""
    entries = schema.entries
    for chunk in in_chunks(entry_ids):
        found = connection.execute(
            sa.select(
                entries.c.item_id,
                entries.c.retired_at,
                entries.c.retired_reason,
                entries.c.retired_by,
            ).where(
                entries.c.id.in_(chunk),
                entries.c.item_id.is_not(None),
            )
        ).all()
        for item_id, at, reason, by in found:
            retire_if_spent(connection, [item_id], at or now, reason or "retired by an import", by)


def _insert_side_rows(
    connection: sa.Connection, list_id: int, start_id: int, rows: Sequence[ImportRow]
) -> None:
    """Labels and video frames of the entries this import inserted (ids above ``start_id``)."""
    labelled = {_row_key(row): row.labels for row in rows if row.labels}
    framed = {_row_key(row): row.frames for row in rows if row.frames}
    if not labelled and not framed:
        return
    entries = schema.entries
    inserted = connection.execute(
        sa.select(entries.c.id, entries.c.algorithm, entries.c.hash, entries.c.retired_at).where(
            entries.c.id > start_id, entries.c.list_id == list_id
        )
    )
    label_rows: list[dict[str, Any]] = []
    frame_rows: list[dict[str, Any]] = []
    for entry_id, algorithm, value, retired_at in inserted:
        key = (algorithm, bytes(value), aware(retired_at))
        label_rows.extend({"entry_id": entry_id, "label": label} for label in labelled.get(key, ()))
        frame_rows.extend(frame_row(entry_id, frame) for frame in framed.get(key, ()))
    if label_rows:
        connection.execute(schema.entry_labels.insert(), label_rows)
    if frame_rows:
        connection.execute(schema.video_frames.insert(), frame_rows)


def _row_key(row: ImportRow) -> tuple[str, bytes, datetime | None]:
    return row.algorithm, row.value, aware(row.retired_at)


def _hash_order(row: ImportRow) -> tuple[str, bytes]:
    return row.algorithm, row.value


def _values(row: ImportRow, list_id: int, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"added_at": now, **row.fields}
    values["list_id"] = list_id
    values["algorithm"] = row.algorithm
    values["hash"] = row.value
    return values


def _insert(connection: sa.Connection, list_id: int, now: datetime, rows: list[ImportRow]) -> None:
    if not rows:
        return
    # In hash order: the unique index's B-tree then fills left to right, ~40% less work.
    if connection.dialect.name != "sqlite":
        names = ["list_id", "algorithm", "hash", *importable_columns()]
        connection.execute(
            schema.entries.insert(),
            [
                dict.fromkeys(names) | _values(row, list_id, now)
                for row in sorted(rows, key=_hash_order)
            ],
        )
        return
    used: set[str] = set()
    for row in rows:
        used.update(row.fields)
    names = sorted(used)
    raw: Any = connection.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        # A bigger page cache keeps the unique index's B-tree in memory for big imports.
        cursor.execute("PRAGMA cache_size = -262144")
        for start in range(0, len(rows), _SQLITE_CHUNK):
            _sqlite_insert(
                cursor, connection.dialect, list_id, now, names, rows[start : start + _SQLITE_CHUNK]
            )
    finally:
        cursor.execute("PRAGMA cache_size = -2000")
        cursor.close()


#: Rows per statement on SQLite: keeps the JSON text and the blob far below SQLite's 1 GB cap.
_SQLITE_CHUNK = 100_000


def _sqlite_insert(
    cursor: Any,
    dialect: sa.Dialect,
    list_id: int,
    now: datetime,
    names: list[str],
    rows: list[ImportRow],
) -> None:
    """One ``INSERT ... SELECT`` over ``json_each``: the rows cross into SQLite as one JSON
    text and one blob of concatenated hashes, so no Python runs per row inside SQLite.

    Values are converted by the column types' own bind processors (so SQLAlchemy reads back
    exactly what it would have written); each JSON row is
    ``[hash offset, hash length, algorithm, *values of names]``."""
    columns: list[list[Any]] = []
    for name in names:
        column = [row.fields.get(name) for row in rows]
        processor = _processor(dialect, name)
        if processor is not None:
            # Few distinct values per column in a big import (one import time, a few labels).
            converted = {value: processor(value) for value in set(column) if value is not None}
            converted_get = converted.get
            column = [converted_get(value) for value in column]
        columns.append(column)
    lengths = [len(row.value) for row in rows]
    offsets = list(itertools.accumulate(lengths, initial=1))[:-1]
    table = list(zip(offsets, lengths, [row.algorithm for row in rows], *columns, strict=True))
    picks = [f"json_extract(value, '$[{index + 3}]')" for index in range(len(names))]
    if "added_at" in names:
        at = names.index("added_at")
        picks[at] = f"coalesce({picks[at]}, :now)"
        targets = names
    else:
        targets = [*names, "added_at"]
        picks.append(":now")
    now_text = _processor(dialect, "added_at")
    cursor.execute(
        f"INSERT INTO entries (list_id, algorithm, hash, {', '.join(targets)}) "
        "SELECT :list_id, json_extract(value, '$[2]'), "
        "substr(:hashes, json_extract(value, '$[0]'), json_extract(value, '$[1]')), "
        f"{', '.join(picks)} FROM json_each(:rows) ORDER BY 2, 3",  # algorithm, hash
        {
            "list_id": list_id,
            "now": now_text(now) if now_text is not None else now,
            "hashes": b"".join([row.value for row in rows]),
            "rows": json.dumps(table, separators=(",", ":")),
        },
    )


def _processor(dialect: sa.Dialect, name: str) -> Any:
    return bind_processor(dialect, schema.entries.c[name])


def export_entries(
    connection: sa.Connection,
    list_ids: Sequence[int] | None,
    since: datetime | None,
    *,
    live_only: bool = False,
) -> Iterator[Entry]:
    """Entries in id order; with ``since``, those added or retired at or after it."""

    entries = schema.entries
    query = (
        sa.select(entries, schema.lists.c.name.label("list_name"))
        .join(schema.lists, schema.lists.c.id == entries.c.list_id)
        .order_by(entries.c.id)
    )
    if list_ids is not None:
        query = query.where(entries.c.list_id.in_(list(list_ids)))
    if since is not None:
        query = query.where(sa.or_(entries.c.added_at >= since, entries.c.retired_at >= since))
    if live_only:
        query = query.where(entries.c.retired_at.is_(None))
    result = connection.execution_options(yield_per=10_000).execute(query)
    for rows in result.partitions(10_000):
        labels = entry_labels(connection, [row.id for row in rows])
        for row in rows:
            yield entry_from_row(row, labels.get(row.id, ()))
