"""Plain rows imported a column at a time: the SQL side of big ``hashdb import`` files.

A plain row holds an algorithm, a hash and a few text fields (label, note): what big hash
lists are. They arrive as numpy arrays and no Python runs per row here:

* duplicates within the file are dropped in numpy, the first occurrence staying (as in
  :func:`hashdb.store.exchange.import_rows`), and the rows go in in hash order so the unique
  index's B-tree fills left to right;
* each row's text fields are one small integer, its *variant*: the index of its combination
  of text values among the few distinct ones (a whole file usually shares one label);
* SQLite: the hashes already live in the list are looked up in the partial unique index and
  left out; then one ``INSERT ... SELECT`` of the items and one of the entries, each over
  ``json_each`` of the flat array of variants, joined to a temporary table of the variants,
  each hash sliced out of one blob by the array index;
* PostgreSQL: binary ``COPY`` of fixed-width records that numpy lays out, into a temporary
  table, then one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (the partial unique index
  decides which hashes are already live), then the items from the new entries.

Either way the change feed gets one ``add`` row per new entry, exactly as a row-by-row
import writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from hashdb.store import schema
from hashdb.store.exchange import ImportCounts, importable_columns
from hashdb.store.insert_many import bind_processor
from hashdb.store.items import OWN_ITEM_COLUMNS, insert_own_items
from hashdb.store.models import ChangeKind, ItemKind

#: Rows per statement on SQLite: keeps the JSON text and the blob far below SQLite's 1 GB cap.
_SQLITE_CHUNK = 1_000_000
_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
_PG_TRAILER = b"\xff\xff"


@dataclass(frozen=True, slots=True)
class PlainRows:
    """Live rows of one algorithm, as columns, in file order."""

    algorithm: str
    #: ``(n, width)`` uint8: one hash per row.
    hashes: npt.NDArray[np.uint8]
    #: The distinct combinations of text fields (entries column -> value); may be ``[{}]``.
    variants: Sequence[Mapping[str, str]]
    #: Per row, the index of its combination in ``variants``.
    variant_of: npt.NDArray[np.intp]

    def __post_init__(self) -> None:
        if self.hashes.ndim != 2 or len(self.variant_of) != len(self.hashes):
            raise ValueError("one variant per hash row is needed")
        unknown = {name for variant in self.variants for name in variant}.difference(
            importable_columns()
        )
        if unknown:
            raise ValueError(f"not entries columns: {', '.join(sorted(unknown))}")


def first_in_hash_order(hashes: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
    """Row positions of the distinct hashes, in hash order, each its first occurrence."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.intp)
    words = _sort_words(hashes)
    order = np.argsort(words[0], kind="stable")  # equal hashes keep file order
    if np.any(words[0][order[1:]] == words[0][order[:-1]]):
        order = np.lexsort(words[::-1])  # the first word ties: sort by every word
    ranked = words[:, order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = np.any(ranked[:, 1:] != ranked[:, :-1], axis=0)
    return order[new]


def _sort_words(hashes: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """The hashes as big-endian 64-bit words (one row per word), which sort like the bytes."""
    count, width = hashes.shape
    padded = -width % 8
    if padded:
        hashes = np.concatenate([hashes, np.zeros((count, padded), np.uint8)], axis=1)
    return np.ascontiguousarray(hashes).view(">u8").astype(np.uint64).T


def import_plain(
    connection: sa.Connection, list_id: int, rows: PlainRows, now: datetime
) -> ImportCounts:
    """Add the rows' hashes that are not live in the list yet; count the rest as existing."""
    keep = first_in_hash_order(rows.hashes)
    if len(keep) == 0:
        return ImportCounts()
    hashes = np.ascontiguousarray(rows.hashes[keep])
    variant_of = np.asarray(rows.variant_of)[keep]
    names = sorted({name for variant in rows.variants for name in variant})
    start_id = int(connection.execute(sa.select(sa.func.max(schema.entries.c.id))).scalar() or 0)
    if connection.dialect.name == "postgresql":
        created = _postgres(connection, list_id, rows, names, hashes, variant_of, now)
    else:
        created = _sqlite(connection, list_id, rows, names, hashes, variant_of, now, start_id)
    if created:
        if connection.dialect.name == "postgresql":  # SQLite wrote them with the entries
            insert_own_items(connection, start_id)
        entries = schema.entries
        connection.execute(
            schema.changes.insert().from_select(
                ["kind", "entry_id", "list_id", "at"],
                sa.select(
                    sa.literal(ChangeKind.ADD.value),
                    entries.c.id,
                    entries.c.list_id,
                    sa.literal(now, schema.changes.c.at.type),
                )
                .where(entries.c.id > start_id)
                .order_by(entries.c.id),
            )
        )
    return ImportCounts(created=created, existing=len(rows.hashes) - created)


def _variant_rows(
    connection: sa.Connection, rows: PlainRows, names: list[str]
) -> list[dict[str, Any]]:
    """The variants as parameter rows of the temporary table, values as the columns bind them."""
    processors = {
        name: bind_processor(connection.dialect, schema.entries.c[name]) for name in names
    }
    table = []
    for code, variant in enumerate(rows.variants):
        row: dict[str, Any] = {"code": code}
        for name in names:
            value = variant.get(name)
            processor = processors[name]
            row[name] = processor(value) if processor is not None and value is not None else value
        table.append(row)
    return table


def _create_variants(
    cursor: Any, connection: sa.Connection, rows: PlainRows, names: list[str], marker: str
) -> None:
    columns = "".join(f", {_quote(connection, name)}" for name in names)
    typed = "".join(
        f", {_quote(connection, name)} {schema.entries.c[name].type.compile(connection.dialect)}"
        for name in names
    )
    cursor.execute(f"CREATE TEMPORARY TABLE import_variants (code INTEGER PRIMARY KEY{typed})")
    params = ", ".join(marker.format(name=name) for name in ["code", *names])
    cursor.executemany(
        f"INSERT INTO import_variants (code{columns}) VALUES ({params})",
        _variant_rows(connection, rows, names),
    )


def _values(connection: sa.Connection, names: list[str], marker: str, **row: str) -> dict[str, str]:
    """What each written entries column is selected from: ``row`` gives the row's ``id`` and
    ``hash``; the list and algorithm are parameters, the text fields the variant's (``v``),
    ``added_at`` the import's time unless the variant gives one."""
    now = marker.format(name="now")
    values = {
        "id": row["id"],
        "item_id": row["id"],
        "list_id": marker.format(name="list_id"),
        "algorithm": marker.format(name="algorithm"),
        "hash": row["hash"],
    }
    values.update((name, f"v.{_quote(connection, name)}") for name in names)
    values["added_at"] = f"coalesce({values['added_at']}, {now})" if "added_at" in names else now
    return values


def _own_items(values: Mapping[str, str]) -> dict[str, str]:
    """What each items column of the rows' own items is selected from, given the entries'."""
    items = {column: values.get(source, "NULL") for column, source in OWN_ITEM_COLUMNS.items()}
    items["kind"] = f"'{ItemKind.HASH.value}'"
    return items


def _insert(connection: sa.Connection, table: str, values: Mapping[str, str]) -> str:
    columns = ", ".join(_quote(connection, column) for column in values)
    return f"INSERT INTO {table} ({columns}) SELECT {', '.join(values.values())}"


def _sqlite(
    connection: sa.Connection,
    list_id: int,
    rows: PlainRows,
    names: list[str],
    hashes: npt.NDArray[np.uint8],
    variant_of: npt.NDArray[np.intp],
    now: datetime,
    start_id: int,
) -> int:
    """The rows not live in the list yet get the ids ``start_id + 1`` on, in hash order.

    Each row's item is written before its entry, from the same values: the entry's deferred
    foreign key then finds its item at once. Written after, each item would make SQLite look
    its entry up again to settle the pending check (a third of the items' cost). The writer
    holds the database (``BEGIN IMMEDIATE``), so which hashes are live cannot change between
    the look-up and the insert."""
    width = hashes.shape[1]
    values = _values(
        connection,
        names,
        ":{name}",
        id=":first + r.key",
        hash=f"substr(:hashes, r.key * {width} + 1, {width})",
    )
    selected = (
        " FROM json_each(:variant_of) AS r JOIN temp.import_variants AS v ON v.code = r.value"
    )
    now_processor = bind_processor(connection.dialect, schema.entries.c.added_at)
    raw: Any = connection.connection.dbapi_connection
    cursor = raw.cursor()
    created = 0
    try:
        # A bigger page cache keeps the unique index's B-tree in memory for big imports.
        cursor.execute("PRAGMA cache_size = -262144")
        _create_variants(cursor, connection, rows, names, ":{name}")
        new = ~_live_in_list(cursor, list_id, rows.algorithm, hashes)
        hashes, variant_of = hashes[new], variant_of[new]
        for start in range(0, len(hashes), _SQLITE_CHUNK):
            chunk = slice(start, start + _SQLITE_CHUNK)
            parameters = {
                "first": start_id + 1 + start,
                "list_id": list_id,
                "algorithm": rows.algorithm,
                "now": now_processor(now) if now_processor is not None else now,
                "hashes": hashes[chunk].tobytes(),
                "variant_of": json.dumps(variant_of[chunk].tolist(), separators=(",", ":")),
            }
            cursor.execute(_insert(connection, "items", _own_items(values)) + selected, parameters)
            cursor.execute(_insert(connection, "entries", values) + selected, parameters)
            created += cursor.rowcount
    finally:
        cursor.execute("DROP TABLE IF EXISTS temp.import_variants")
        cursor.execute("PRAGMA cache_size = -2000")
        cursor.close()
    return created


def _live_in_list(
    cursor: Any, list_id: int, algorithm: str, hashes: npt.NDArray[np.uint8]
) -> npt.NDArray[np.bool_]:
    """Which of the (distinct) hashes are live in the list already, by the unique index."""
    live = np.zeros(len(hashes), dtype=bool)
    cursor.execute(
        "SELECT 1 FROM entries WHERE list_id = ? AND algorithm = ? AND retired_at IS NULL LIMIT 1",
        (list_id, algorithm),
    )
    if cursor.fetchone() is None:
        return live  # the first import into a list, or of an algorithm: nothing to look up
    width = hashes.shape[1]
    for start in range(0, len(hashes), _SQLITE_CHUNK):
        chunk = hashes[start : start + _SQLITE_CHUNK]
        cursor.execute(
            "WITH RECURSIVE p(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM p WHERE k + 1 < :count) "
            "SELECT k FROM p WHERE EXISTS (SELECT 1 FROM entries WHERE list_id = :list_id "
            "AND algorithm = :algorithm AND retired_at IS NULL "
            f"AND hash = substr(:hashes, k * {width} + 1, {width}))",
            {
                "count": len(chunk),
                "list_id": list_id,
                "algorithm": algorithm,
                "hashes": chunk.tobytes(),
            },
        )
        live[start + np.fromiter((k for (k,) in cursor), dtype=np.intp)] = True
    return live


def _postgres(
    connection: sa.Connection,
    list_id: int,
    rows: PlainRows,
    names: list[str],
    hashes: npt.NDArray[np.uint8],
    variant_of: npt.NDArray[np.intp],
    now: datetime,
) -> int:
    values = _values(connection, names, "%({name})s", id="h.id", hash="h.hash")
    raw: Any = connection.connection.dbapi_connection
    with raw.cursor() as cursor:
        _create_variants(cursor, connection, rows, names, "%({name})s")
        cursor.execute(
            "CREATE TEMPORARY TABLE import_hashes (code integer, hash bytea) ON COMMIT DROP"
        )
        with cursor.copy("COPY import_hashes (code, hash) FROM STDIN (FORMAT binary)") as copy:
            copy.write(_binary_copy(hashes, variant_of))
        # No ORDER BY: the temporary table is scanned in the (hash) order it was written in.
        # Each row takes its id from the entries sequence and is its own item.
        cursor.execute(
            _insert(connection, "entries", values) + " "
            "FROM (SELECT nextval(pg_get_serial_sequence('entries', 'id')) AS id, code, hash "
            "FROM import_hashes) AS h "
            "JOIN import_variants AS v ON v.code = h.code "
            "ON CONFLICT (list_id, algorithm, hash) WHERE retired_at IS NULL DO NOTHING",
            {"list_id": list_id, "algorithm": rows.algorithm, "now": now},
        )
        created = int(cursor.rowcount)
        cursor.execute("DROP TABLE import_hashes")
        cursor.execute("DROP TABLE import_variants")
    return created


def _binary_copy(hashes: npt.NDArray[np.uint8], variant_of: npt.NDArray[np.intp]) -> bytes:
    """PostgreSQL's binary COPY stream of ``(code integer, hash bytea)`` rows.

    Every row has the same width, so the stream is one array of fixed-size records."""
    width = hashes.shape[1]
    record = np.dtype(
        [
            ("fields", ">i2"),
            ("code_len", ">i4"),
            ("code", ">i4"),
            ("hash_len", ">i4"),
            ("hash", np.uint8, (width,)),
        ]
    )
    table = np.empty(len(hashes), dtype=record)
    table["fields"] = 2
    table["code_len"] = 4
    table["code"] = variant_of
    table["hash_len"] = width
    table["hash"] = hashes
    return _PG_HEADER + table.tobytes() + _PG_TRAILER


def _quote(connection: sa.Connection, name: str) -> str:
    return str(connection.dialect.identifier_preparer.quote(name))
