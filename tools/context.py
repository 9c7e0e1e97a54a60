"""State shared by the commands of one invocation: settings and one lazily opened service."""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING, Any

import typer

from hashdb.identity import Principal, Role

if TYPE_CHECKING:
    from hashdb.service import HashDB
    from hashdb.settings import Settings


class CLIState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._service: HashDB | None = None

    @property
    def service(self) -> HashDB:
        # One service (one database connection, one index load) per command, never per file.
        if self._service is None:
            from hashdb.service import HashDB  # the service's libraries load only when needed

            self._service = HashDB(self.settings)
        return self._service

    @property
    def principal(self) -> Principal:
        """The CLI runs on the database host: the local operator, named by the login name."""
        return Principal(name=current_user() or "local", role=Role.ADMIN)

    def close(self) -> None:
        if self._service is not None:
            self._service.close()


def state(ctx: typer.Context) -> CLIState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CLIState)
    return obj


def current_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def emit_json(body: dict[str, Any]) -> None:
    typer.echo(json.dumps(body, separators=(",", ":"), ensure_ascii=False))
