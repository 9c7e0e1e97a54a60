"""CSV with a header row: ``algorithm,hash[,label,note]`` plus any other entry field."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from hashdb.errors import ImportRejected
from hashdb.exchange.records import BadRow, known_fields

REQUIRED = ("algorithm", "hash")


def read(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = csv.reader(stream)
    header = next(rows, None)
    if header is None:
        return
    names = header_names(header)
    width = len(names)
    for row in rows:
        number = rows.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            yield number, {BadRow.KEY: f"expected {width} fields, found {len(row)}"}
            continue
        yield number, {name: value for name, value in zip(names, row, strict=True) if value != ""}


def header_names(header: list[str]) -> list[str]:
    """The header's column names, or ImportRejected naming what is missing or unknown."""
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    unknown = [name for name in names if name not in known_fields()]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        raise ImportRejected(
            f"line 1: the CSV header needs algorithm,hash[,label,note,...]: {'; '.join(problems)}",
            known=sorted(known_fields()),
        )
    return names


def write(records: Iterable[dict[str, Any]], stream: TextIO) -> int:
    out = csv.writer(stream, lineterminator="\n")
    header: list[str] | None = None
    count = 0
    for record in records:
        if header is None:
            header = list(record)
            out.writerow(header)
        out.writerow([_cell(record.get(name)) for name in header])
        count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
