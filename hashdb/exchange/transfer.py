"""Whole imports and exports against a store: read, validate everything, then write once."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, TextIO

from hashdb.errors import HashDBError, ImportRejected, UsageError
from hashdb.exchange.definitions import (
    DefinitionCounts,
    ListDefinition,
    VocabularyDefinition,
    apply_definitions,
    definition_records,
    is_definition,
    parse_definition,
)
from hashdb.exchange.formats import ExchangeFormat, reader, writer
from hashdb.exchange.jsonl_format import write as jsonl_write
from hashdb.exchange.provenance import Importer, claimed
from hashdb.exchange.records import BadRow, export_record, parse_plain, parse_record
from hashdb.hashing.vpdq import VIDEO_ALGORITHM
from hashdb.store import Store
from hashdb.store.exchange import ImportCounts, ImportRow
from hashdb.store.models import Entry, normalise_labels
from hashdb.store.models.text import check_texts, control_character
from hashdb.store.plain_import import PlainRows

#: How many bad rows an error message or report lists (the count is always complete).
MAX_LISTED = 50
_BATCH = 1000  # entries per frame lookup on export
_CHUNK = 20_000  # rows validated together (see parse_plain)
_NO_LIST = "no list: pass --list or give a list column"
#: Formats read a column at a time when the file is plain (see hashdb.exchange.columnar).
_COLUMNAR = (ExchangeFormat.CSV, ExchangeFormat.TE)
#: Rows written from which an import refreshes the planner statistics: a bulk load changes
#: the tables' sizes enough that the plans made before it (or without any) are poor.
ANALYZE_AFTER = 10_000


class ImportAccess(Protocol):
    """What the importing caller may change; each check raises Forbidden (all rolled back)."""

    #: Who the imported entries are recorded as added by.
    importer: Importer

    def check_vocabulary(self) -> None:
        """The caller may add terms to the vocabulary."""
        ...

    def list_definition(self, definition: ListDefinition) -> ListDefinition:
        """The definition as the caller may apply it (e.g. owned by its organisation)."""
        ...

    def check_entries(self, list_name: str) -> None:
        """The caller may add to and retire in this list (created for it if missing)."""
        ...


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
    definitions: DefinitionCounts = field(default_factory=DefinitionCounts)

    @property
    def skipped(self) -> int:
        return len(self.errors)

    @property
    def changed(self) -> bool:
        return bool(self.total("created") or self.total("retired") or self.total("history")) or any(
            vars(self.definitions).values()
        )

    def summary(self) -> dict[str, Any]:
        """The counts, for the audit log."""
        whole = self.to_dict()
        del whole["errors"]
        return whole

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
            "lists_created": self.definitions.lists_created,
            "lists_updated": self.definitions.lists_updated,
            "vocabulary_added": self.definitions.vocabulary_added,
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
    actor: str | None = None,
    organisation: str | None = None,
    access: ImportAccess | None = None,
) -> ImportReport:
    """Import a whole file in one transaction. Bad rows abort it (nothing written) unless
    ``skip_bad``, in which case they are skipped and reported with their line numbers.

    List and vocabulary definitions (JSONL) are applied first; with ``list_name``, a file
    defining exactly one list has that definition applied to ``list_name``. Without
    ``access`` (an operator) entries keep the provenance the file gives them; with it, they
    are recorded as its importer's (:mod:`hashdb.exchange.provenance`). The audit record
    names ``actor`` and is scoped to ``organisation``."""
    audit = _Audit(actor or "import", organisation)
    if fmt in _COLUMNAR:
        try:
            text = stream.read()
        except UnicodeDecodeError as exc:
            raise ImportRejected(f"{source}: not UTF-8 text ({exc.reason})") from None
        from hashdb.exchange.columnar import read_plain  # pyarrow: only imports need it

        plain = None
        if control_character(text, lines=True) is None:  # else the rows below name the cell
            plain = read_plain(text, fmt, force=force, by_list=list_name is None)
        if plain is not None and (list_name is not None or None not in plain.lists):
            report = ImportReport(source=source, format=fmt, rows=plain.rows)
            importers = {
                list_name or str(name): _plain_importer(
                    store, batches if access is None else access.importer.stamp_plain(batches)
                )
                for name, batches in plain.lists.items()
            }
            _write(store, report, importers, audit, access)
            return report
        stream = io.StringIO(text)  # not plain, a bad row, or a row naming no list
    report = ImportReport(source=source, format=fmt)
    by_list: dict[str, list[ImportRow]] = {}
    definitions: list[ListDefinition] = []
    vocabulary: list[VocabularyDefinition] = []
    label_errors: dict[str, str | None] = {}

    def take(chunk: list[tuple[int, dict[str, Any]]]) -> None:
        report.rows += len(chunk)
        plain = parse_plain(chunk, force=force)
        if plain is not None:
            for named, row in plain:
                place(named, row)
            return
        for line, record in chunk:
            try:
                named, row = parse_record(line, record, force=force, min_quality=min_quality)
            except BadRow as bad:
                report.errors.append(RowError(line, bad.message))
                continue
            bad_label = _first_bad_label(store, row.labels, label_errors)
            if bad_label is not None:
                report.errors.append(RowError(line, bad_label))
                continue
            place(named, row)

    def place(named: str | None, row: ImportRow) -> None:
        target = list_name or named
        if target is None:
            report.errors.append(RowError(row.line, _NO_LIST))
        else:
            by_list.setdefault(target, []).append(row)

    chunk: list[tuple[int, dict[str, Any]]] = []
    try:
        for line, record in reader(fmt, stream):
            refused = _control_in(record)
            if refused is not None:
                report.errors.append(RowError(line, refused))
                continue
            if not is_definition(record):
                chunk.append((line, record))
                if len(chunk) >= _CHUNK:
                    take(chunk)
                    chunk = []
                continue
            try:
                parsed = parse_definition(record)
            except BadRow as bad:
                report.errors.append(RowError(line, bad.message))
                continue
            if isinstance(parsed, VocabularyDefinition):
                vocabulary.append(parsed)
                label_errors[parsed.label] = None  # defined here: valid below
            else:
                definitions.append(parsed)
        take(chunk)
    except UnicodeDecodeError as exc:
        raise ImportRejected(f"{source}: not UTF-8 text ({exc.reason})") from None
    report.errors.sort(key=lambda error: error.line)
    if report.errors and not skip_bad:
        listed = "; ".join(f"line {e.line}: {e.message}" for e in report.errors[:5])
        more = f" (and {len(report.errors) - 5} more)" if len(report.errors) > 5 else ""
        raise ImportRejected(
            f"{source}: {len(report.errors)} bad row(s), nothing imported: {listed}{more}",
            errors=[error.to_dict() for error in report.errors[:MAX_LISTED]],
            bad_rows=len(report.errors),
        )
    if list_name is not None:
        definitions = [replace(definitions[0], name=list_name)] if len(definitions) == 1 else []
    if access is not None:
        for rows in by_list.values():
            for name, values in access.importer.stamp(rows).items():
                audit.claims.setdefault(name, set()).update(values)
    importers = {name: _rows_importer(store, rows) for name, rows in by_list.items()}
    _write(store, report, importers, audit, access, definitions, vocabulary)
    return report


def _control_in(record: Mapping[str, Any]) -> str | None:
    """Why a record is refused for a control character in one of its cells, or None."""
    try:
        check_texts(record, lines=_LINES)
    except HashDBError as error:
        return error.message
    return None


#: Cells of several lines: tabs and line breaks allowed.
_LINES = frozenset({"note", "description", "reason", "retired_reason"})


@dataclass
class _Audit:
    """How an import's audit record names and scopes it, and what its file claimed."""

    actor: str
    organisation: str | None
    claims: dict[str, set[str]] = field(default_factory=dict)


def _write(
    store: Store,
    report: ImportReport,
    by_list: Mapping[str, Callable[[int], ImportCounts]],
    audit: _Audit,
    access: ImportAccess | None,
    definitions: Sequence[ListDefinition] = (),
    vocabulary: Sequence[VocabularyDefinition] = (),
) -> None:
    """Everything validated goes in, in one transaction: definitions, then each list's rows
    (``by_list`` maps a list name to what imports its rows given the list's id)."""
    with store.transaction():
        if access is not None:
            known = {term.label for term in store.vocabulary()}
            if any(term.label not in known for term in vocabulary):
                access.check_vocabulary()
            definitions = [access.list_definition(definition) for definition in definitions]
        report.definitions = apply_definitions(store, definitions, vocabulary, actor=audit.actor)
        for name, import_into in by_list.items():
            if access is not None:
                access.check_entries(name)
            report.lists[name] = import_into(store.ensure_list(name).id)
        if report.changed:
            summary = report.summary()
            if audit.claims:
                summary["provenance_in_file"] = claimed(audit.claims)
            store.record_audit(
                audit.actor,
                "entries.import",
                "import",
                report.source,
                None,
                summary,
                organisation=audit.organisation,
            )
        written = report.total("created") + report.total("retired") + report.total("history")
        if written >= ANALYZE_AFTER:
            store.analyze()


def _rows_importer(store: Store, rows: Sequence[ImportRow]) -> Callable[[int], ImportCounts]:
    return lambda list_id: store.import_entries(list_id, rows)


def _plain_importer(store: Store, batches: Sequence[PlainRows]) -> Callable[[int], ImportCounts]:
    def import_into(list_id: int) -> ImportCounts:
        counts = [store.import_plain(list_id, batch) for batch in batches]
        return ImportCounts(
            created=sum(count.created for count in counts),
            existing=sum(count.existing for count in counts),
        )

    return import_into


def _first_bad_label(
    store: Store, labels: Sequence[str], checked: dict[str, str | None]
) -> str | None:
    """Why the first label outside the vocabulary is refused (each label checked once).

    ``checked`` starts with the labels the file itself defines."""
    for label in labels:
        try:
            (key,) = normalise_labels([label])
        except HashDBError as exc:
            return exc.message
        if key not in checked:
            try:
                store.check_labels([key])
                checked[key] = None
            except HashDBError as exc:
                checked[key] = exc.message
        if checked[key] is not None:
            return checked[key]
    return None


def export_entries(
    store: Store,
    stream: TextIO,
    fmt: ExchangeFormat,
    *,
    lists: Sequence[str] | None = None,
    since: datetime | None = None,
    definitions: bool = True,
) -> int:
    """Write entries (retired ones too, except in ``te``) and return how many were written.

    JSONL starts with the vocabulary and the exported lists' definitions (``definitions``);
    video entries carry their frame hashes in every format but ``te``."""
    list_ids = None
    if lists is not None:
        list_ids = [store.get_list(name).id for name in lists]  # ListNotFound for a typo
    if since is not None and since.tzinfo is None:
        raise UsageError("--since needs a timezone, e.g. 2026-01-31T00:00:00+00:00")

    def records() -> Iterator[dict[str, Any]]:
        batch: list[Entry] = []
        for entry in store.export_entries(list_ids, since, live_only=fmt is ExchangeFormat.TE):
            batch.append(entry)
            if len(batch) >= _BATCH:
                yield from _with_frames(store, batch)
                batch = []
        yield from _with_frames(store, batch)

    if definitions and fmt is ExchangeFormat.JSONL:
        jsonl_write(definition_records(store, list_ids), stream)
    return writer(fmt, records(), stream)


def _with_frames(store: Store, entries: Sequence[Entry]) -> Iterator[dict[str, Any]]:
    videos = [entry.id for entry in entries if entry.algorithm == VIDEO_ALGORITHM]
    frames = store.video_frames(videos) if videos else {}
    for entry in entries:
        yield export_record(entry, frames.get(entry.id))
