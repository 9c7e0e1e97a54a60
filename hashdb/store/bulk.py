"""Loading every live hash of an algorithm fast enough for 10 million entries at start-up.

Going through SQLAlchemy rows costs a few microseconds and several Python objects per row.
Here the rows come out of the driver in big batches straight into numpy buffers:

* PostgreSQL: ``COPY (SELECT id, hash ...) TO STDOUT (FORMAT binary)``. Every row of one
  algorithm has the same width, so the binary stream is an array of fixed-size records that
  numpy reads in place: no per-row Python object at all.
* SQLite: the raw ``sqlite3`` cursor, ``fetchmany`` in batches; the ids go through
  ``np.fromiter`` and the hashes through one ``bytes.join`` per batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import sqlalchemy as sa

from hashdb.hashing import get_algorithm

_SQL = (
    "SELECT id, hash FROM entries WHERE algorithm = {param} AND retired_at IS NULL"
    " AND length(hash) = {width} ORDER BY id"
)
_PG_HEADER = 19  # PGCOPY\n\377\r\n\0 + flags + header extension length
_PG_CHUNK = 64 * 1024 * 1024


def live_hash_arrays(
    engine: sa.Engine, algorithm: str, batch_size: int = 1_000_000
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of ``(ids int64, hashes (n, width) uint8)`` of live entries, in id order."""
    width = get_algorithm(algorithm).bits // 8
    if engine.dialect.name == "postgresql":
        yield from _postgres(engine, algorithm, width, batch_size)
    else:
        yield from _sqlite(engine, algorithm, width, batch_size)


def _sqlite(
    engine: sa.Engine, algorithm: str, width: int, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    with engine.connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            cursor.execute(_SQL.format(param="?", width=width), (algorithm,))
            while rows := cursor.fetchmany(batch_size):
                ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
                values = np.frombuffer(b"".join([row[1] for row in rows]), dtype=np.uint8)
                yield ids, values.reshape(len(rows), width)
        finally:
            cursor.close()


def _postgres(
    engine: sa.Engine, algorithm: str, width: int, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    record = np.dtype(
        [
            ("fields", ">i2"),
            ("id_len", ">i4"),
            ("id", ">i8"),
            ("hash_len", ">i4"),
            ("hash", np.uint8, (width,)),
        ]
    )
    sql = "COPY ({}) TO STDOUT (FORMAT binary)".format(
        _SQL.format(param="%s", width=width).replace("%s", _quote(algorithm))
    )
    with engine.connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            pending = bytearray()
            header_done = False
            for block in copy:
                pending += block
                if not header_done:
                    if len(pending) < _PG_HEADER:
                        continue
                    extension = int.from_bytes(pending[15:19], "big")
                    del pending[: _PG_HEADER + extension]
                    header_done = True
                whole = len(pending) // record.itemsize
                if whole * record.itemsize >= min(_PG_CHUNK, batch_size * record.itemsize):
                    yield _records(pending, whole, record, width)
                    del pending[: whole * record.itemsize]
            # What is left: whole records, then the two-byte trailer (-1).
            whole = (len(pending) - 2) // record.itemsize if len(pending) >= 2 else 0
            if whole > 0:
                yield _records(pending, whole, record, width)


def _records(
    pending: bytearray, count: int, record: np.dtype[Any], width: int
) -> tuple[np.ndarray, np.ndarray]:
    rows = np.frombuffer(bytes(pending[: count * record.itemsize]), dtype=record)
    if np.any(rows["fields"] != 2) or np.any(rows["hash_len"] != width):
        raise ValueError("unexpected record layout in COPY output")
    return rows["id"].astype(np.int64), np.ascontiguousarray(rows["hash"])


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
