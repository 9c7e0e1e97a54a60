"""Entry point of the ``hashdb`` command: global options, command registry, error mapping.

Every core error is a :class:`~hashdb.errors.HashDBError`; it is turned into one line on
stderr, ``error: CODE: message``, and its exit code here, once. Exit codes: 0 success, 1 some
input was rejected or unreadable, 2 usage error (an unknown list, a bad setting), 3 the
database is unavailable, 4 ``serve`` cannot listen on its address, 70 an internal error,
130 interrupted. Output to a closed pipe (``hashdb export | head``) ends quietly with 0.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from hashdb.errors import HashDBError, UsageError
from hashdb.store.models.text import check_text
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
from tools.context import CLIState, error_line, load_settings

EXIT_INTERNAL = 70


class HashDBGroup(TyperGroup):
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except HashDBError as error:
            typer.echo(error_line(error), err=True)
            raise typer.Exit(error.exit_code) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise typer.Exit(0) from None


def _quiet_stdout() -> None:
    """The reader of stdout went away (``| head``): send what is left nowhere, so that
    Python's flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


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
    ctx.obj = CLIState(load_settings(**overrides))
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


def _control_in_arguments(arguments: list[str]) -> str | None:
    """Why an argument is refused (a control character: no name, label or note may hold one,
    :mod:`hashdb.store.models.text`), naming its option; None when all are clean."""
    for position, argument in enumerate(arguments):
        option, equals, value = argument.partition("=")
        if not (argument.startswith("--") and equals):
            before = arguments[position - 1] if position else ""
            option = before if before.startswith("-") else f"argument {position + 1}"
            value = argument
        try:
            check_text(option, value, lines=option in ("--note", "--reason", "--description"))
        except HashDBError as error:
            return error.message
    return None


def main() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # see tools/__init__.py
    refused = _control_in_arguments(sys.argv[1:])
    if refused is not None:
        typer.echo(f"error: usage_error: {refused}", err=True)
        sys.exit(UsageError.exit_code)
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
    except HashDBError as error:  # raised outside a command, e.g. while closing
        typer.echo(error_line(error), err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # never a traceback to a user
        typer.echo(f"internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
