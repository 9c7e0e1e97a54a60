"""``hashdb serve``: run the HTTP API with uvicorn, one or several worker processes."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from hashdb.identity import Role
from tools.commands.keys import operator
from tools.context import state

BOOTSTRAP_KEY_NAME = "bootstrap-admin"


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to bind.")] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes sharing the database.")
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) on the configured database.

    With authentication on (the default) and no active API key in the database, a first admin
    key is created and printed once, so the API can be used straight away.
    """
    cli = state(ctx)
    settings = cli.settings
    if settings.auth and not cli.service.keys.has_active_keys():
        created = cli.service.keys.create(BOOTSTRAP_KEY_NAME, Role.ADMIN, actor=operator())
        typer.echo(
            "No API keys yet: created a first admin key (shown once; `hashdb keys create` "
            "makes more, `hashdb keys revoke` retires this one):",
            err=True,
        )
        typer.echo(created.key)
    cli.close()  # each worker opens its own connections
    # The app is started by import string, so hand it the resolved settings the same way
    # every worker process reads them: through HASHDB_ variables.
    os.environ["HASHDB_DB"] = settings.db
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
        timeout_graceful_shutdown=10,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
