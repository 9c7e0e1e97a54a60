"""Rows to records: the one place SQL rows become :mod:`hashdb.store.models` values, and the
one time helper every SQL module uses (SQLite hands back naive datetimes, PostgreSQL aware
ones; records always carry aware UTC)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

import sqlalchemy as sa

from hashdb.store import schema
from hashdb.store.models import Entry, HashList, ListAction, MatchingMode

#: Ids per ``IN (...)`` clause: well under every backend's bound-parameter limit.
IN_CHUNK = 500
_Key = TypeVar("_Key", bound=Hashable)


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """``value`` in UTC; a naive value (as SQLite stores it) is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def list_from_row(row: sa.Row[Any]) -> HashList:
    return HashList(
        id=row.id,
        name=row.name,
        description=row.description,
        action=ListAction(row.action),
        thresholds={str(k): int(v) for k, v in dict(row.thresholds).items()},
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        matching_mode=MatchingMode(row.matching_mode),
    )


def entry_from_row(row: Any, labels: tuple[str, ...] = ()) -> Entry:
    """An entry from a row of ``entries`` joined with its list's name (``list_name``): a
    SQLAlchemy row, or the driver's named tuple where a hot read skips SQLAlchemy."""
    return Entry(
        id=row.id,
        list_id=row.list_id,
        list_name=row.list_name,
        algorithm=row.algorithm,
        value=bytes(row.hash),
        quality=row.quality,
        source_sha256=row.source_sha256,
        label=row.label,
        note=row.note,
        added_by=row.added_by,
        added_at=aware(row.added_at),
        retired_at=aware(row.retired_at),
        retired_reason=row.retired_reason,
        retired_by=row.retired_by,
        organisation=row.organisation,
        source=row.source,
        labels=labels,
        item_id=row.item_id,
    )


def entries_from_rows(rows: Sequence[Any]) -> dict[int, Entry]:
    """Entries by id from rows of ``entries`` joined with their list's name and their labels,
    one row per label in order (``entry_label`` None for an entry without any)."""
    labels: dict[int, list[str]] = {}
    for row in rows:
        if row.entry_label is not None:
            labels.setdefault(row.id, []).append(row.entry_label)
    found: dict[int, Entry] = {}
    for row in rows:
        if row.id not in found:
            found[row.id] = entry_from_row(row, tuple(labels.get(row.id, ())))
    return found


def in_chunks(values: Iterable[_Key]) -> Iterator[list[_Key]]:
    """``values`` without repeats, in their order, in chunks of at most :data:`IN_CHUNK`
    (one ``IN`` list each)."""
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), IN_CHUNK):
        yield distinct[start : start + IN_CHUNK]


def entry_labels(connection: sa.Connection, entry_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The labels of each of ``entry_ids`` that has any, in order."""
    table = schema.entry_labels
    found: dict[int, list[str]] = {}
    for chunk in in_chunks(entry_ids):
        rows = connection.execute(
            sa.select(table.c.entry_id, table.c.label)
            .where(table.c.entry_id.in_(chunk))
            .order_by(table.c.entry_id, table.c.label)
        )
        for entry_id, label in rows:
            found.setdefault(entry_id, []).append(label)
    return {entry_id: tuple(labels) for entry_id, labels in found.items()}
