"""``hashdb feedback``: agree or disagree with an entry, and read what others said."""

from __future__ import annotations

from typing import Annotated

import typer

from hashdb.store.models import Verdict
from tools.context import emit_json, state


def feedback(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    verdict: Annotated[
        Verdict | None,
        typer.Argument(help="agree or disagree; leave out to show the entry's feedback."),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
) -> None:
    """Record agree/disagree on an entry, or show its counts and history."""
    cli = state(ctx)
    if verdict is not None:
        emit_json(
            cli.service.feedback.give(entry_id, verdict, reason, principal=cli.principal).to_dict()
        )
        return
    emit_json(cli.service.feedback.for_entry(entry_id, cli.principal).to_dict())


def register(app: typer.Typer) -> None:
    app.command("feedback")(feedback)
