"""``hashdb labels`` (the deployment's vocabulary) and ``hashdb label`` (labels on an entry)."""

from __future__ import annotations

from typing import Annotated

import typer

from hashdb.errors import UsageError
from hashdb.store.models import ItemScope
from tools.commands.entries import split_labels
from tools.context import emit_json, state

labels = typer.Typer(
    help="The label vocabulary: show it, add terms, remove terms.",
    invoke_without_command=True,
)


@labels.callback()
def show_vocabulary(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show every allowed label FACET:VALUE (without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    cli = state(ctx)
    for term in cli.service.labels.vocabulary(cli.principal):
        if as_json:
            emit_json(term.to_dict())
        else:
            typer.echo(f"{term.label}\t{term.description}".rstrip())


@labels.command("add")
def add_terms(
    ctx: typer.Context,
    facet: Annotated[str, typer.Argument(help="Facet, e.g. entity, type or severity.")],
    values: Annotated[list[str], typer.Argument(help="Values, e.g. execution recruitment.")],
    description: Annotated[str, typer.Option("--description", help="What they mean.")] = "",
) -> None:
    """Add terms to the vocabulary (terms already there stay as they are)."""
    cli = state(ctx)
    for term in cli.service.labels.add_terms(facet, values, description, principal=cli.principal):
        emit_json(term.to_dict())


@labels.command("remove")
def remove_term(
    ctx: typer.Context,
    label: Annotated[str, typer.Argument(help="FACET:VALUE to remove.")],
) -> None:
    """Remove a term: no new entry can carry it; entries that do keep it."""
    cli = state(ctx)
    emit_json(cli.service.labels.remove_term(label, cli.principal).to_dict())


def label_entry(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    add: Annotated[
        list[str] | None, typer.Option("--add", help="Labels to add (FACET:VALUE, repeatable).")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Labels to remove (repeatable).")
    ] = None,
    free_label: Annotated[
        str | None, typer.Option("--label", help="Replace the free-text label.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Replace the note.")] = None,
    only_this_hash: Annotated[
        bool,
        typer.Option(
            "--only-this-hash",
            help="Change this entry alone, not every hash of its item (the same file).",
        ),
    ] = False,
) -> None:
    """Change the controlled labels (--add/--remove), free-text label or note of an entry's
    item (every hash of the same file); every change is audited and matches explain the
    entry with it at once."""
    scope = ItemScope.ENTRY if only_this_hash else ItemScope.ITEM
    if not (add or remove) and free_label is None and note is None:
        raise UsageError("give --add/--remove, --label and/or --note")
    cli = state(ctx)
    with cli.service.store.transaction():
        if free_label is not None or note is not None:
            cli.service.entries.update(
                entry_id, label=free_label, note=note, scope=scope, principal=cli.principal
            )
        if add or remove:
            cli.service.labels.label_entry(
                entry_id,
                split_labels(add),
                split_labels(remove),
                scope=scope,
                principal=cli.principal,
            )
    emit_json(cli.service.entries.get(entry_id, cli.principal).to_dict())


def register(app: typer.Typer) -> None:
    app.add_typer(labels, name="labels")
    app.command("label")(label_entry)
