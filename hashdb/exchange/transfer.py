"""Whole imports and exports against a store: read, validate everything, then write once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from hashdb.errors import HashDBError, ImportRejected, UsageError
from hashdb.exchange.formats import ExchangeFormat, reader, writer
from hashdb.exchange.records import BadRow, entry_record, parse_record
from hashdb.store import Store
from hashdb.store.exchange import ImportCounts, ImportRow

#: How many bad rows an error message or report lists (the count is always complete).
MAX_LISTED = 50


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


@dataclass
class ImportReport:
    source: str
    format: ExchangeFormat
    rows: int = 0
    lists: dict[str, ImportCounts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.lists.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format.value,
            "rows": self.rows,
            "created": self.total("created"),
            "existing": self.total("existing"),
            "retired": self.total("retired"),
            "history": self.total("history"),
            "skipped": self.skipped,
            "lists": {
                name: {
                    "created": c.created,
                    "existing": c.existing,
                    "retired": c.retired,
                    "history": c.history,
                }
                for name, c in self.lists.items()
            },
            "errors": [error.to_dict() for error in self.errors[:MAX_LISTED]],
        }


def import_records(
    store: Store,
    stream: TextIO,
    fmt: ExchangeFormat,
    *,
    list_name: str | None,
    source: str,
    skip_bad: bool = False,
    force: bool = False,
    min_quality: int = 0,
) -> ImportReport:
    """Import a whole file in one transaction. Bad rows abort it (nothing written) unless
    ``skip_bad``, in which case they are skipped and reported with their line numbers."""
    report = ImportReport(source=source, format=fmt)
    by_list: dict[str, list[ImportRow]] = {}
    label_errors: dict[str, str | None] = {}
    try:
        for line, record in reader(fmt, stream):
            report.rows += 1
            try:
                named, row = parse_record(line, record, force=force, min_quality=min_quality)
            except BadRow as bad:
                report.errors.append(RowError(line, bad.message))
                continue
            bad_label = _first_bad_label(store, row.labels, label_errors)
            if bad_label is not None:
                report.errors.append(RowError(line, bad_label))
                continue
            target = list_name or named
            if target is None:
                report.errors.append(RowError(line, "no list: pass --list or give a list column"))
                continue
            by_list.setdefault(target, []).append(row)
    except UnicodeDecodeError as exc:
        raise ImportRejected(f"{source}: not UTF-8 text ({exc.reason})") from None
    if report.errors and not skip_bad:
        listed = "; ".join(f"line {e.line}: {e.message}" for e in report.errors[:5])
        more = f" (and {len(report.errors) - 5} more)" if len(report.errors) > 5 else ""
        raise ImportRejected(
            f"{source}: {len(report.errors)} bad row(s), nothing imported: {listed}{more}",
            errors=[error.to_dict() for error in report.errors[:MAX_LISTED]],
            bad_rows=len(report.errors),
        )
    with store.transaction():
        for name, rows in by_list.items():
            hash_list = store.ensure_list(name)
            report.lists[name] = store.import_entries(hash_list.id, rows)
    return report


def _first_bad_label(
    store: Store, labels: Sequence[str], checked: dict[str, str | None]
) -> str | None:
    """Why the first label outside the vocabulary is refused (each label checked once)."""
    for label in labels:
        if label not in checked:
            try:
                store.check_labels([label])
                checked[label] = None
            except HashDBError as exc:
                checked[label] = exc.message
        if checked[label] is not None:
            return checked[label]
    return None


def export_entries(
    store: Store,
    stream: TextIO,
    fmt: ExchangeFormat,
    *,
    lists: Sequence[str] | None = None,
    since: datetime | None = None,
) -> int:
    """Write entries (retired ones too, except in ``te``) and return how many were written."""
    list_ids = None
    if lists:
        list_ids = [store.get_list(name).id for name in lists]  # ListNotFound for a typo
    if since is not None and since.tzinfo is None:
        raise UsageError("--since needs a timezone, e.g. 2026-01-31T00:00:00+00:00")

    def records() -> Iterator[dict[str, Any]]:
        for entry in store.export_entries(list_ids, since, live_only=fmt is ExchangeFormat.TE):
            yield entry_record(entry)

    return writer(fmt, records(), stream)
