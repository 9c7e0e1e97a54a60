"""The ThreatExchange / HMA hash CSV convention: ``signal_type,signal,tags``.

``signal_type`` uses python-threatexchange's signal type names (``pdq``, ``photo_md5``...),
``signal`` is the hash in hex and ``tags`` is a space-separated list, carried here as the
entry's label. It has no place for retirements: an export holds live entries only.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from hashdb.errors import ImportRejected
from hashdb.exchange.records import BadRow

#: hashdb algorithm -> ThreatExchange signal type name.
SIGNAL_TYPES = {
    "pdq": "pdq",
    "md5": "photo_md5",
    "sha256": "photo_sha256",
    "phash": "phash",
    "dhash": "dhash",
}
ALGORITHMS = {signal: algorithm for algorithm, signal in SIGNAL_TYPES.items()}
HEADER = ("signal_type", "signal", "tags")


def read(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = csv.reader(stream)
    header = next(rows, None)
    if header is None:
        return
    names = header_names(header)
    for row in rows:
        number = rows.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) < 2 or len(row) > len(names):
            yield number, {BadRow.KEY: f"expected {len(names)} fields, found {len(row)}"}
            continue
        signal_type = row[0].strip().lower()
        if signal_type not in ALGORITHMS:
            yield (
                number,
                {BadRow.KEY: f"unknown signal type {row[0]!r}; known: {', '.join(ALGORITHMS)}"},
            )
            continue
        record: dict[str, Any] = {"algorithm": ALGORITHMS[signal_type], "hash": row[1]}
        tags = label_of_tags(row[2]) if len(row) > 2 else ""
        if tags:
            record["label"] = tags
        yield number, record


def header_names(header: list[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    if names[:2] != list(HEADER[:2]):
        raise ImportRejected("line 1: a te file starts with the header signal_type,signal,tags")
    return names


def label_of_tags(tags: str) -> str:
    """The entry label of a te ``tags`` cell: its tags separated by single spaces."""
    return " ".join(tags.split())


def write(records: Iterable[dict[str, Any]], stream: TextIO) -> int:
    out = csv.writer(stream, lineterminator="\n")
    out.writerow(HEADER)
    count = 0
    for record in records:
        if record.get("retired_at") is not None:
            continue
        signal_type = SIGNAL_TYPES.get(str(record["algorithm"]))
        if signal_type is None:
            continue
        out.writerow([signal_type, record["hash"], record.get("label") or ""])
        count += 1
    return count
