"""State shared by the commands of one invocation: settings and one lazily opened service."""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING, Any

import typer

from hashdb.errors import ConfigError, HashDBError
from hashdb.identity import Principal, Role
from hashdb.store.models.text import printable

if TYPE_CHECKING:
    from hashdb.service import HashDB
    from hashdb.settings import Settings


def load_settings(**overrides: Any) -> Settings:
    """The settings from ``HASHDB_`` variables (and ``overrides``), or :class:`ConfigError`
    naming each bad one: a bad value is the user's to fix, not an internal error."""
    from pydantic import ValidationError  # pydantic-settings is slow to import: --help skips it

    from hashdb.settings import Settings

    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"HASHDB_{'_'.join(map(str, e['loc'])).upper()}={str(e.get('input'))[:60]!r}: "
            f"{e['msg']}"
            for e in error.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None


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


def field_line(key: str, value: Any) -> str:
    """``key: value`` for a terminal: a list joined with commas, control characters in names
    or notes shown as escapes (a stored name must not drive the terminal)."""
    shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return f"{key}: {printable(shown)}"


def cells(*values: Any) -> str:
    """Values as one tab-separated line, each safe for a terminal."""
    return "\t".join(printable(str(value)) for value in values)


def error_line(error: HashDBError) -> str:
    """The one way the CLI words an error: ``error: CODE: message``, safe for a terminal."""
    return f"error: {error.code}: {printable(error.message)}"
