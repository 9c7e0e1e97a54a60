"""``hashdb match``: match media files against every list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hashdb.errors import MediaError
from hashdb.matching.evidence import VideoEvidence
from hashdb.store.models.text import printable
from tools.context import CLIState, emit_json, error_line, state

if TYPE_CHECKING:
    from hashdb.matching.result import MatchResult


def describe_video(evidence: VideoEvidence) -> str:
    """``video query 0.0-5.0s = known 2.1-7.1s share=1.00/0.62`` and the like."""

    def span(start: float | None, end: float | None) -> str:
        return f"{start:.1f}-{end:.1f}s" if start is not None and end is not None else "?"

    parts = [evidence.direction.value]
    for time_range in evidence.ranges[:5]:
        if evidence.direction.value == "image_in_video":
            parts.append(f"at {span(time_range.reference_start, time_range.reference_end)}")
        elif evidence.direction.value == "video_shows_image":
            parts.append(f"shown {span(time_range.query_start, time_range.query_end)}")
        else:
            parts.append(
                f"query {span(time_range.query_start, time_range.query_end)} = known "
                f"{span(time_range.reference_start, time_range.reference_end)}"
            )
    if evidence.query_share is not None:
        parts.append(f"share={evidence.query_share:.2f}/{evidence.reference_share or 0:.2f}")
    if evidence.mirrored:
        parts.append("mirrored")
    return " ".join(parts)


def match_files(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Media files to match.", show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Exactly one JSON object per input file per line.")
    ] = False,
    lists: Annotated[
        list[str] | None, typer.Option("--list", "-l", help="Only match these lists (repeatable).")
    ] = None,
    labels: Annotated[
        list[str] | None,
        typer.Option(
            "--labels",
            help="Only entries with these labels: FACET:VALUE, repeatable or comma-separated; "
            "any value of one facet, every facet given.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Worker processes matching files side by side (default: every core for "
            "200 files or more, else 1); answers keep the order of the files.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Match each file against the lists; exit 1 if some file could not be read."""
    cli = state(ctx)
    service = cli.service
    for name in lists or ():  # a typo in --list is a usage mistake: exit 2, once
        service.lists.get(name, cli.principal)
    unreadable = 0
    for path, result in _answers(cli, files, lists or None, labels or None, workers):
        if isinstance(result, MediaError):
            error = result
            unreadable += 1
            if as_json:
                emit_json({"path": str(path), "matched": False, "error": error.to_dict()})
            else:
                typer.echo(f"{path}: {error_line(error)}", err=True)
            continue
        if as_json:
            emit_json({"path": str(path), **result.to_dict()})
            continue
        for warning in result.hashes.warnings if result.hashes else ():
            typer.echo(f"{path}: warning: {warning}", err=True)
        if result.allowed_by:
            allow = result.allowed_by[0]
            suppressed = ", ".join(
                sorted(
                    {
                        f"{printable(s.match.list)} entry {s.match.entry_id}"
                        for s in result.suppressed
                    }
                )
            )
            typer.echo(
                f"{path}: ALLOWED list={printable(allow.list)} entry={allow.entry_id} "
                f"{allow.algorithm} "
                f"distance={allow.distance}/{allow.threshold} note={allow.entry.note!r}"
                + (f" (suppressed: {suppressed})" if suppressed else "")
            )
        elif not result.matches:
            typer.echo(f"{path}: no match")
        else:
            for match in result.matches:
                label = f" label={match.label!r}" if match.label else ""
                typer.echo(
                    f"{path}: MATCH list={printable(match.list)} action={match.action.value} "
                    f"entry={match.entry_id} {match.algorithm} distance={match.distance}"
                    f"/{match.threshold}{label} added_by={match.entry.added_by}"
                    f" stage={match.stage} variant={match.variant}"
                    + (f" {describe_video(match.video)}" if match.video else "")
                )
    if unreadable:
        raise typer.Exit(1)


def _answers(
    cli: CLIState,
    files: list[Path],
    lists: list[str] | None,
    labels: list[str] | None,
    workers: int | None,
) -> Iterator[tuple[Path, MatchResult | MediaError]]:
    """Each file with its answer or its media error, in order: matched here, or for a
    large batch in worker processes (the service's batch matching)."""
    from hashdb.service.batch import default_workers, match_files

    count = workers if workers is not None else default_workers(len(files))
    if count > 1 and len(files) > 1:
        yield from match_files(cli.settings, files, lists, labels, cli.principal, count)
        return
    for path in files:
        try:
            yield (
                path,
                cli.service.matching.file(path, lists, labels=labels, principal=cli.principal),
            )
        except MediaError as error:
            yield path, error


def register(app: typer.Typer) -> None:
    app.command("match")(match_files)
