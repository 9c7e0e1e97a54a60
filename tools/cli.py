"""Entry point of the ``hashdb`` command: global options, command registry, error mapping.

Every core error is a :class:`~hashdb.errors.HashDBError`; it is turned into one line on
stderr and its exit code here, once. Exit codes: 0 success, 1 some input was rejected or
unreadable, 2 usage error, 3 the database is unavailable, 70 an internal error.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from hashdb.errors import HashDBError
from hashdb.settings import Settings
from tools.commands import (
    audit,
    entries,
    exchange,
    feedback,
    hashing,
    items,
    keys,
    labels,
    lists,
    matching,
    orgs,
    rescan,
    review,
    serve,
    video,
)
from tools.context import CLIState

EXIT_INTERNAL = 70


class HashDBGroup(TyperGroup):
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except HashDBError as error:
            typer.echo(f"error: {error.message}", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=HashDBGroup,
    name="hashdb",
    help="Perceptual-hash media blocklist: hash media, manage hash lists, match uploads.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def configure(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="HASHDB_DB",
            help="SQLite file or postgresql:// URL (default: ./hashdb.sqlite).",
            show_envvar=True,
        ),
    ] = None,
) -> None:
    """Global options shared by every command."""
    overrides: dict[str, Any] = {} if db is None else {"db": db}
    ctx.obj = CLIState(Settings(**overrides))
    ctx.call_on_close(ctx.obj.close)


for module in (
    hashing,
    entries,
    items,
    matching,
    lists,
    exchange,
    keys,
    audit,
    orgs,
    labels,
    review,
    feedback,
    video,
    rescan,
    serve,
):
    module.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except HashDBError as error:  # raised outside a command, e.g. while closing
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # never a traceback to a user
        typer.echo(f"internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
