"""``hashdb serve``: run the HTTP API with uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from tools.context import state


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to bind.")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) on the configured database."""
    settings = state(ctx).settings
    # The app is started by import string, so hand it the resolved settings the same way
    # every worker process reads them: through HASHDB_ variables.
    os.environ["HASHDB_DB"] = settings.db
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
