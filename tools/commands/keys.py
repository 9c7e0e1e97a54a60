"""``hashdb keys create|list|revoke``: API keys for the HTTP API."""

from __future__ import annotations

from typing import Annotated

import typer

from hashdb.identity import Role
from hashdb.store.models import ApiKey
from tools.context import cells, emit_json, state

keys_app = typer.Typer(
    name="keys",
    help="API keys: create (shown once), list, revoke.",
    no_args_is_help=True,
)


def _line(key: ApiKey) -> str:
    status = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
    org = key.organisation or "-"
    return cells(key.id, f"{key.prefix}…", key.role.value, key.name, org, status)


@keys_app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[Role, typer.Option("--role", help="platform, analyst or admin.")],
    name: Annotated[str, typer.Option("--name", help="Who or what will use the key.")],
    organisation: Annotated[
        str | None, typer.Option("--org", help="The organisation the key acts for.")
    ] = None,
) -> None:
    """Create a key. The key is printed once, alone on the last line; only its hash is kept."""
    cli = state(ctx)
    created = cli.service.keys.create(
        name, role, organisation=organisation, principal=cli.principal
    )
    typer.echo(
        f"created key {created.record.id} ({created.record.role.value}) for {name}", err=True
    )
    typer.echo(created.key)


@keys_app.command("list")
def list_keys(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per key.")] = False,
) -> None:
    """Show every key (id, prefix, role, name, organisation, status); never the keys."""
    cli = state(ctx)
    for key in cli.service.keys.list(cli.principal):
        if as_json:
            emit_json(key.to_dict())
        else:
            typer.echo(_line(key))


@keys_app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[int, typer.Argument(help="Key id (from `hashdb keys list`).")],
) -> None:
    """Revoke a key: every request with it gets 401 from now on."""
    cli = state(ctx)
    typer.echo(_line(cli.service.keys.revoke(key_id, principal=cli.principal)))


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app)
