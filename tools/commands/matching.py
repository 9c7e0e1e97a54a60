"""``hashdb match``: match media files against every list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hashdb.errors import HashDBError, ListNotFound, MediaError, UsageError
from tools.context import emit_json, state


def match_files(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Media files to match.", show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Exactly one JSON object per input file per line.")
    ] = False,
    lists: Annotated[
        list[str] | None, typer.Option("--list", "-l", help="Only match these lists (repeatable).")
    ] = None,
) -> None:
    """Match each file against the lists; exit 1 if some file could not be read."""
    service = state(ctx).service
    for name in lists or ():
        try:
            service.get_list(name)
        except ListNotFound as error:  # a typo in --list is a usage mistake: exit 2, once
            raise UsageError(error.message) from None
    unreadable = 0
    for path in files:
        try:
            result = service.match_file(path, lists or None)
        except MediaError as error:
            unreadable += 1
            if as_json:
                emit_json({"path": str(path), "matched": False, "error": error.to_dict()})
            else:
                typer.echo(f"{path}: error: {error.message}", err=True)
            continue
        except HashDBError:
            raise
        if as_json:
            emit_json({"path": str(path), **result.to_dict()})
        elif not result.matches:
            typer.echo(f"{path}: no match")
        else:
            for match in result.matches:
                label = f" label={match.label!r}" if match.label else ""
                typer.echo(
                    f"{path}: MATCH list={match.list} action={match.action.value} "
                    f"entry={match.entry_id} {match.algorithm} distance={match.distance}"
                    f"/{match.threshold}{label} added_by={match.added_by}"
                    f" stage={match.stage} variant={match.variant}"
                )
    if unreadable:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("match")(match_files)
