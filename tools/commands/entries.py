"""``hashdb add``, ``add-hash``, ``entry`` and ``retire``: what analysts do to entries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hashdb.errors import HashDBError
from hashdb.service import AddReport, EntryMetadata
from hashdb.store import Entry
from hashdb.store.models import ItemScope
from tools.context import current_user, emit_json, state

ListOption = Annotated[
    str, typer.Option("--list", "-l", help="List to add to (created if missing).")
]
LabelOption = Annotated[
    str | None, typer.Option("--label", help="Label, e.g. the group or campaign.")
]
NoteOption = Annotated[str | None, typer.Option("--note", help="Free-text note: why it is listed.")]
ByOption = Annotated[
    str | None, typer.Option("--added-by", help="Who adds it (default: the login name).")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Also add degenerate or low-quality hashes.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON lines.")]
OnlyThisHashOption = Annotated[
    bool,
    typer.Option(
        "--only-this-hash",
        help="Act on this entry alone, not on every hash of its item (the same file).",
    ),
]
LabelsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--labels",
        help="Controlled labels FACET:VALUE (repeatable or comma-separated), "
        "e.g. type:execution,severity:high; see `hashdb labels`.",
    ),
]
SourceOption = Annotated[
    str | None, typer.Option("--source", help="Where the media came from: URL or reference.")
]
OrganisationOption = Annotated[
    str | None,
    typer.Option("--organisation", help="The organisation the entries are recorded for."),
]


def split_labels(values: list[str] | None) -> tuple[str, ...]:
    return tuple(
        part.strip() for value in values or () for part in value.split(",") if part.strip()
    )


def _print_report(label: str, report: AddReport, as_json: bool) -> None:
    if as_json:
        emit_json({"path": label, **report.to_dict()})
        return
    ids = ", ".join(str(added.entry_id) for added in report.added)
    typer.echo(
        f"{label}: {len(report.added)} hashes in list {report.list_name} "
        f"({report.created} new) entries [{ids}]"
    )
    for refusal in report.refused:
        typer.echo(f"{label}: refused {refusal.algorithm}: {refusal.reason}", err=True)


def add(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Media files to add.", show_default=False)],
    list_name: ListOption,
    label: LabelOption = None,
    note: NoteOption = None,
    added_by: ByOption = None,
    force: ForceOption = False,
    as_json: JsonOption = False,
    labels: LabelsOption = None,
    source: SourceOption = None,
    organisation: OrganisationOption = None,
) -> None:
    """Hash media files and add their hashes to a list. Adding twice changes nothing."""
    cli = state(ctx)
    service = cli.service
    metadata = EntryMetadata(
        label=label,
        note=note,
        added_by=added_by or current_user(),
        labels=split_labels(labels),
        source=source,
        organisation=organisation,
    )
    problems = 0
    for path in files:
        try:
            report = service.adding.media(
                list_name,
                service.media.read_file(path),
                metadata,
                force=force,
                principal=cli.principal,
            )
        except HashDBError as error:
            problems += 1
            if as_json:
                emit_json({"path": str(path), "error": error.to_dict()})
            else:
                typer.echo(f"{path}: error: {error.message}", err=True)
            continue
        problems += bool(report.refused)
        _print_report(str(path), report, as_json)
    if problems:
        raise typer.Exit(1)


def add_hash(
    ctx: typer.Context,
    hashes: Annotated[list[str], typer.Argument(help="Hex hash values.", show_default=False)],
    list_name: ListOption,
    algorithm: Annotated[
        str, typer.Option("--algorithm", "-a", help="pdq, phash, dhash, md5, sha256.")
    ],
    label: LabelOption = None,
    note: NoteOption = None,
    added_by: ByOption = None,
    force: ForceOption = False,
    as_json: JsonOption = False,
    labels: LabelsOption = None,
    source: SourceOption = None,
    organisation: OrganisationOption = None,
) -> None:
    """Add raw hashes (as received from a partner). A malformed value adds nothing."""
    cli = state(ctx)
    metadata = EntryMetadata(
        label=label,
        note=note,
        added_by=added_by or current_user(),
        labels=split_labels(labels),
        source=source,
        organisation=organisation,
    )
    report = cli.service.adding.hex(
        list_name, algorithm, hashes, metadata, force=force, principal=cli.principal
    )
    _print_report(algorithm, report, as_json)
    if report.refused:
        raise typer.Exit(1)


def _print_entry(entry: Entry, as_json: bool) -> None:
    body = entry.to_dict()
    if as_json:
        emit_json(body)
        return
    for key, value in body.items():
        if value is not None:
            typer.echo(f"{key}: {value}")


def show_entry(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    as_json: JsonOption = False,
) -> None:
    """Show one entry: its hash, list, labels, provenance, feedback and retirement."""
    cli = state(ctx)
    entry = cli.service.entries.get(entry_id, cli.principal)
    counts = cli.service.feedback.counts([entry.id], cli.principal)[entry.id]
    body = {**entry.to_dict(), "feedback": counts.to_dict()}
    if as_json:
        emit_json(body)
        return
    for key, value in body.items():
        if key == "feedback":
            typer.echo(f"feedback: {counts.agree} agree, {counts.disagree} disagree")
        elif value not in (None, []):
            typer.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


def retire(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is retired (required).")],
    retired_by: Annotated[
        str | None, typer.Option("--by", help="Who retires it (default: the login name).")
    ] = None,
    only_this_hash: OnlyThisHashOption = False,
    as_json: JsonOption = False,
) -> None:
    """Retire an entry's item: every hash of the same file (or raw hash) stops matching at
    once everywhere, and is kept for audit. `hashdb restore ITEM` brings it back."""
    cli = state(ctx)
    entry = cli.service.entries.retire(
        entry_id,
        reason,
        retired_by or current_user(),
        scope=ItemScope.ENTRY if only_this_hash else ItemScope.ITEM,
        principal=cli.principal,
    )
    _print_entry(entry, as_json)


def register(app: typer.Typer) -> None:
    app.command("add")(add)
    app.command("add-hash")(add_hash)
    app.command("entry")(show_entry)
    app.command("retire")(retire)
