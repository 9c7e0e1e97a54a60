"""The formats by name, and picking one from a file name."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from hashdb.errors import UsageError


class ExchangeFormat(enum.StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    TE = "te"  # ThreatExchange / HMA hash CSV: signal_type,signal,tags


_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".te": "te"}


def detect_format(path: Path | None, explicit: str | None) -> ExchangeFormat:
    if explicit is not None:
        try:
            return ExchangeFormat(explicit.strip().lower())
        except ValueError:
            raise UsageError(
                f"unknown format {explicit!r}; known: {', '.join(f.value for f in ExchangeFormat)}"
            ) from None
    if path is not None:
        suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
        if suffixes and suffixes[-1] in _EXTENSIONS:
            return ExchangeFormat(_EXTENSIONS[suffixes[-1]])
    raise UsageError("cannot tell the format from the file name: pass --format jsonl|csv|te")


def reader(fmt: ExchangeFormat, stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    from hashdb.exchange import csv_format, jsonl_format, te_format

    if fmt is ExchangeFormat.CSV:
        return csv_format.read(stream)
    if fmt is ExchangeFormat.TE:
        return te_format.read(stream)
    return jsonl_format.read(stream)


def writer(fmt: ExchangeFormat, records: Iterable[dict[str, Any]], stream: TextIO) -> int:
    from hashdb.exchange import csv_format, jsonl_format, te_format

    if fmt is ExchangeFormat.CSV:
        return csv_format.write(records, stream)
    if fmt is ExchangeFormat.TE:
        return te_format.write(records, stream)
    return jsonl_format.write(records, stream)
