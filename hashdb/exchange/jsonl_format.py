"""JSON Lines: one object per line, keyed like the CSV header (``algorithm``, ``hash``...)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from hashdb.exchange.records import BadRow


def read(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, {BadRow.KEY: f"not valid JSON: {exc.msg}"}
            continue
        if not isinstance(record, dict):
            yield number, {BadRow.KEY: "each line must be a JSON object"}
            continue
        yield number, record


def write(records: Iterable[dict[str, Any]], stream: TextIO) -> int:
    count = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        stream.write("\n")
        count += 1
    return count
