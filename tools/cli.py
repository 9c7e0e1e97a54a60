"""Entry point of the ``hashdb`` command: global options, command registry, error mapping.

Every core error is a :class:`~hashdb.errors.HashDBError`; it is turned into one line on
stderr, ``error: CODE: message``, and its exit code here, once. Exit codes: 0 success, 1 some
input was rejected or unreadable, 2 usage error (an unknown list, a bad setting), 3 the
database is unavailable, 4 ``serve`` cannot listen on its address, 70 an internal error,
130 interrupted. Output to a closed pipe (``hashdb export | head``) ends quietly with 0.
"""

from __future__ import annotations

import _thread
import atexit
import os
import signal
import sys
import threading
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from hashdb.errors import HashDBError, UsageError
from hashdb.store.models.text import check_text
from tools import end_on_ctrl_c
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


def main() -> NoReturn:
    _leave(_run())


def _run() -> int:
    """The command's exit code; what it printed is still in the streams' buffers."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # see tools/__init__.py
    sys.unraisablehook = _unraisable
    refused = _control_in_arguments(sys.argv[1:])
    if refused is not None:
        typer.echo(f"error: usage_error: {refused}", err=True)
        return UsageError.exit_code
    try:
        app()
    except SystemExit as leaving:  # how typer ends every command, successful or not
        if leaving.code is None or isinstance(leaving.code, int):
            return leaving.code or 0
        typer.echo(str(leaving.code), err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except HashDBError as error:  # raised outside a command, e.g. while closing
        typer.echo(error_line(error), err=True)
        return error.exit_code
    except Exception as error:  # never a traceback to a user
        typer.echo(f"internal error: {type(error).__name__}: {error}", err=True)
        return EXIT_INTERNAL
    return 0


def _unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """An exception in a finaliser (a weak reference's callback while Python collects
    garbage) cannot be raised where it happens; Python would print its traceback and carry
    on. A Ctrl-C is delivered to the command again, from another thread so that it arrives
    once the finaliser is over, and the command stops as on any Ctrl-C; anything else is one
    line, as every error of the command line is."""
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        _thread.start_new_thread(_thread.interrupt_main, ())
        return
    name = unraisable.exc_type.__name__ if unraisable.exc_type else "error"
    typer.echo(f"warning: ignored {name} in a finaliser: {unraisable.exc_value}", err=True)


def _leave(code: int) -> NoReturn:
    """End the process once the command is done, without tearing the interpreter down.

    By now the command has closed its database and every file it wrote (each is written
    under ``with``); what Python's shutdown would add is freeing every object and module one
    by one, about 0.15 s of a one-file ``hashdb match``. The output is flushed and the exit
    handlers run (logging, temporary directories, worker pools) first. While a thread that
    Python would wait for is still running, the exit is the ordinary one. A Ctrl-C from here
    on ends the process at once: the command's work is done."""
    end_on_ctrl_c()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except OSError as error:  # a full disk under a redirect: the output is incomplete
        typer.echo(f"error: cannot write the output: {error.strerror}", err=True)
        _quiet_stdout()
        code = code or 1
    sys.stderr.flush()
    if any(
        thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
        for thread in threading.enumerate()
    ):
        sys.exit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
