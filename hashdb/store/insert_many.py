"""Many rows inserted through the driver's own ``executemany``.

SQLAlchemy's ``connection.execute(table.insert(), rows)`` costs around ten microseconds of
Python per row (parameter bookkeeping); an add of a thousand hashes writes a thousand entry
rows and a thousand audit rows. Here the statement is compiled once by SQLAlchemy for the
dialect and each value still goes through its column type's bind processor, so the database
receives exactly what SQLAlchemy would have sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa


def insert_many(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (each with the same keys) inside the connection's transaction."""
    if not rows:
        return
    names = list(rows[0])
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=names)
    converters = [(name, bind_processor(dialect, table.c[name])) for name in names]
    columns = {
        name: [row[name] for row in rows]
        if convert is None
        else [None if row[name] is None else convert(row[name]) for row in rows]
        for name, convert in converters
    }
    if compiled.positional:
        order = compiled.positiontup or []
        params: list[Any] = list(zip(*(columns[name] for name in order), strict=True))
    else:
        params = [
            dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
    raw: Any = connection.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.executemany(str(compiled), params)
    finally:
        cursor.close()


def bind_processor(dialect: sa.Dialect, column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a Python value of ``column`` before the driver sees it."""
    processor: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(
        dialect
    )
    return processor
