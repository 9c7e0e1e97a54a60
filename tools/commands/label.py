"""``hashdb label``: change an entry's label or note."""

from __future__ import annotations

from typing import Annotated

import typer

from hashdb.errors import UsageError
from hashdb.records import entry_record
from tools.context import current_user, emit_json, state


def label(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    new_label: Annotated[str | None, typer.Option("--label", help="The new label.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="The new note.")] = None,
) -> None:
    """Relabel an entry (audited); matches explain it with the new text at once."""
    if new_label is None and note is None:
        raise UsageError("give --label and/or --note")
    entry = state(ctx).service.update_entry(
        entry_id, label=new_label, note=note, actor=current_user()
    )
    emit_json(entry_record(entry))


def register(app: typer.Typer) -> None:
    app.command("label")(label)
