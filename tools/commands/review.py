"""``hashdb review list|confirm|dismiss|allow|purge``: the near-miss review queue."""

from __future__ import annotations

from typing import Annotated

import typer

from hashdb.errors import UsageError
from hashdb.service import EntryMetadata, ReviewOutcome
from hashdb.store.models import ReviewStatus
from hashdb.store.models.text import printable
from tools.commands.entries import LabelsOption, split_labels
from tools.context import emit_json, state

review = typer.Typer(help="The review queue of near-misses.", no_args_is_help=True)

ItemArgument = Annotated[int, typer.Argument(help="Review item id (from `hashdb review list`).")]
NoteOption = Annotated[str | None, typer.Option("--note", help="Why (kept with the item).")]


@review.command("list")
def list_items(
    ctx: typer.Context,
    status: Annotated[
        str, typer.Option("--status", help="pending, confirmed, dismissed, allowed or all.")
    ] = "pending",
    list_name: Annotated[str | None, typer.Option("--list", "-l", help="Only this list.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show review items, oldest first."""
    cli = state(ctx)
    if status != "all" and status not in {s.value for s in ReviewStatus}:
        raise UsageError(f"--status is one of {', '.join(ReviewStatus)} or all, got {status!r}")
    wanted = None if status == "all" else ReviewStatus(status)
    items = cli.service.review.queue(cli.principal, status=wanted, list_name=list_name, limit=limit)
    for item in items:
        if as_json:
            emit_json(item.to_dict())
        else:
            typer.echo(
                f"{item.id}\t{item.status.value}\tlist={printable(item.list_name)} "
                f"entry={item.entry_id} "
                f"{item.algorithm} distance={item.distance} (threshold {item.threshold}, "
                f"review {item.review_radius})\tseen {item.seen_count}x, last "
                f"{item.last_seen_at:%Y-%m-%d %H:%M} by {printable(str(item.platform))}"
            )


def _print(outcome: ReviewOutcome) -> None:
    emit_json(outcome.to_dict())


@review.command("confirm")
def confirm(
    ctx: typer.Context,
    item_id: ItemArgument,
    list_name: Annotated[
        str | None, typer.Option("--list", "-l", help="Add to this list (default: the item's).")
    ] = None,
    note: NoteOption = None,
    labels: LabelsOption = None,
) -> None:
    """Promote a near-miss: its media's hashes become entries."""
    cli = state(ctx)
    metadata = EntryMetadata(note=note, labels=split_labels(labels), added_by=cli.principal.name)
    _print(
        cli.service.review.confirm(item_id, cli.principal, list_name=list_name, metadata=metadata)
    )


@review.command("dismiss")
def dismiss(ctx: typer.Context, item_id: ItemArgument, note: NoteOption = None) -> None:
    """Dismiss a near-miss: not the listed media; nothing is added."""
    cli = state(ctx)
    _print(cli.service.review.dismiss(item_id, cli.principal, note))


@review.command("allow")
def allow(
    ctx: typer.Context,
    item_id: ItemArgument,
    list_name: Annotated[
        str, typer.Option("--list", "-l", help="The allow list (created with action allow).")
    ],
    note: NoteOption = None,
) -> None:
    """Allow-list a near-miss as a known false positive: its media never matches again."""
    cli = state(ctx)
    metadata = EntryMetadata(note=note, added_by=cli.principal.name)
    _print(cli.service.review.allow(item_id, list_name, cli.principal, metadata=metadata))


@review.command("purge")
def purge(ctx: typer.Context) -> None:
    """Delete the upload thumbnails of near-misses kept longer than
    HASHDB_THUMBNAIL_RETENTION_DAYS (or whose item was resolved); audited. Recording a
    near-miss does this too."""
    cli = state(ctx)
    deleted = cli.service.thumbnails.purge(cli.principal)
    emit_json(
        {
            "deleted": deleted,
            "retention_days": cli.service.settings.thumbnail_retention_days,
        }
    )


def register(app: typer.Typer) -> None:
    app.add_typer(review, name="review")
