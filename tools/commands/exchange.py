"""``hashdb import`` and ``hashdb export``: hash lists in bulk, as JSONL, CSV or te."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from hashdb.errors import UsageError
from hashdb.exchange import ExchangeFormat, detect_format
from tools.context import emit_json, state

if TYPE_CHECKING:
    from hashdb.exchange import ImportReport

FormatOption = Annotated[
    str | None,
    typer.Option("--format", "-f", help="jsonl, csv or te (default: from the file extension)."),
]


def _print_import(report: ImportReport, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_dict())
        return
    for error in report.errors:
        typer.echo(f"{report.source}:{error.line}: skipped: {error.message}", err=True)
    typer.echo(
        f"{report.source}: {report.rows} rows, {report.total('created')} new, "
        f"{report.total('existing')} already present, {report.total('retired')} retired, "
        f"{report.total('history')} retired entries recorded, {report.skipped} bad rows skipped"
    )
    made = report.definitions
    if made.lists_created or made.lists_updated or made.vocabulary_added:
        typer.echo(
            f"{report.source}: lists created: {', '.join(made.lists_created) or '-'}; "
            f"lists updated: {', '.join(made.lists_updated) or '-'}; "
            f"labels added: {len(made.vocabulary_added)}"
        )


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV, JSONL or te file to import.")],
    list_name: Annotated[
        str | None,
        typer.Option("--list", "-l", help="List to import into (default: each row's list)."),
    ] = None,
    fmt: FormatOption = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip bad rows (reported) instead of aborting.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Also import degenerate or low-quality hashes.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import hashes in bulk. Any bad row aborts the whole import unless --skip-bad;
    re-importing the same file changes nothing; retired rows retire the live entry."""
    cli = state(ctx)
    report = cli.service.exchange.import_file(
        file,
        list_name=list_name,
        fmt=fmt,
        skip_bad=skip_bad,
        force=force,
        principal=cli.principal,
    )
    _print_import(report, as_json)


def export(
    ctx: typer.Context,
    list_names: Annotated[
        list[str] | None,
        typer.Option("--list", "-l", help="List to export (repeatable; default: all lists)."),
    ] = None,
    fmt: FormatOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only entries added or retired at or after this ISO 8601 time."
        ),
    ] = None,
    entries_only: Annotated[
        bool,
        typer.Option(
            "--entries-only",
            help="JSONL without the leading vocabulary and list definition lines.",
        ),
    ] = False,
) -> None:
    """Export entries with all their fields (retired ones too, except in te). JSONL starts
    with the label vocabulary and each exported list's definition, so an import into a
    fresh database reproduces the lists exactly."""
    exchange_format = (
        detect_format(output, fmt)
        if fmt is not None or output is not None
        else ExchangeFormat.JSONL
    )
    since_time = _parse_since(since)
    cli = state(ctx)

    def write(stream: TextIO) -> int:
        return cli.service.exchange.export(
            stream,
            exchange_format,
            lists=list_names or None,
            since=since_time,
            definitions=not entries_only,
            principal=cli.principal,
        )

    if output is None:
        write(sys.stdout)
        return
    partial = output.with_name(output.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as stream:
        count = write(stream)
    partial.replace(output)  # never a half-written file under the requested name
    typer.echo(f"{output}: {count} entries", err=True)


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since takes an ISO 8601 time, got {value!r}") from None
    if parsed.tzinfo is None:
        raise UsageError("--since needs a timezone, e.g. 2026-01-31T00:00:00Z")
    return parsed


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
