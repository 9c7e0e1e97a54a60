"""``hashdb serve``: run the HTTP API with uvicorn, one or several worker processes."""

from __future__ import annotations

import errno
import os
import secrets
import socket
from typing import Annotated, Any

import typer

from hashdb.errors import AddressInUse, UsageError
from hashdb.identity import Role
from tools.context import state

BOOTSTRAP_KEY_NAME = "bootstrap-admin"
#: By import string: the command-line tools never import the API package.
APP_FACTORY = "api.app:create_app"
GRACEFUL_SECONDS = 10


def log_config(level: str = "INFO") -> dict[str, object]:
    """Every log line as one JSON object on stderr, with the request id (``api.logs``)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # By import string: the CLI never imports the API package.
        "formatters": {"json": {"()": "api.logs.JSONFormatter"}},
        "handlers": {"default": handler},
        "loggers": {
            name: {"handlers": ["default"], "level": level, "propagate": False}
            for name in ("hashdb", "uvicorn", "uvicorn.error")
        },
    }


def check_free(host: str, port: int) -> None:
    """:class:`AddressInUse` when another process listens on ``host:port`` (checked before
    anything starts, so the answer is one line, not a worker's traceback)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UsageError(f"--host {host!r} is not an address this machine has: {error}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise AddressInUse(
                    f"{host}:{port} is in use by another process; stop it or choose --port"
                ) from None
            raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to bind.")] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes sharing the database.")
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) and the analyst console (/console) on the
    configured database.

    With authentication on (the default) and no active API key in the database, a first admin
    key is created and printed once, so the API can be used straight away.
    """
    cli = state(ctx)
    settings = cli.settings
    check_free(host or settings.host, port or settings.port)
    if settings.auth and not cli.service.keys.has_active_keys():
        created = cli.service.keys.create(BOOTSTRAP_KEY_NAME, Role.ADMIN, principal=cli.principal)
        typer.echo(
            "No API keys yet: created a first admin key (shown once; `hashdb keys create` "
            "makes more, `hashdb keys revoke` retires this one):",
            err=True,
        )
        typer.echo(created.key)
    cli.close()  # each worker opens its own connections
    address = f"http://{host or settings.host}:{port or settings.port}"
    typer.echo(f"Analyst console: {address}/console   API docs: {address}/docs", err=True)
    # The app is started by import string, so hand it the resolved settings the same way
    # every worker process reads them: through HASHDB_ variables.
    os.environ["HASHDB_DB"] = settings.db
    if settings.console_secret is None:
        # One secret for every worker, so a console session signed by one is good at all.
        os.environ["HASHDB_CONSOLE_SECRET"] = secrets.token_urlsafe(32)
    import uvicorn  # only the serve command needs the server

    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_config": log_config(),
        "access_log": False,  # the app logs one JSON line per request itself
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
        # Slow or too many clients (docs/operations.md: a reverse proxy in production).
        # By import string, as a worker started later reads these options from JSON.
        "http": "tools.http:GuardedHttpToolsProtocol",
        "timeout_keep_alive": int(max(1, settings.http_keep_alive)),
        "limit_concurrency": settings.http_limit_concurrency,
    }
    if workers > 1:
        # Forked from one process that loaded the app and the indexes, so that the workers
        # share them (tools/prefork.py).
        from tools.prefork import serve_forked

        serve_forked(APP_FACTORY, workers, options, graceful_seconds=GRACEFUL_SECONDS)
        return
    uvicorn.run(APP_FACTORY, factory=True, **options)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
