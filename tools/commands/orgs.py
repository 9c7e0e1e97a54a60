"""``hashdb orgs``: the organisations that own lists and add entries."""

from __future__ import annotations

from typing import Annotated

import typer

from tools.context import cells, emit_json, state

orgs = typer.Typer(
    help="Organisations: list them or add one.", no_args_is_help=False, invoke_without_command=True
)


@orgs.callback()
def show_orgs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show every organisation (without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    cli = state(ctx)
    for organisation in cli.service.organisations.list(cli.principal):
        if as_json:
            emit_json(organisation.to_dict())
        else:
            typer.echo(cells(organisation.name, organisation.description))


@orgs.command("add")
def add_org(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Organisation name, as API keys name it.")],
    description: Annotated[str, typer.Option("--description", help="Who they are.")] = "",
) -> None:
    """Add an organisation."""
    cli = state(ctx)
    emit_json(
        cli.service.organisations.create(name, description, principal=cli.principal).to_dict()
    )


def register(app: typer.Typer) -> None:
    app.add_typer(orgs, name="orgs")
