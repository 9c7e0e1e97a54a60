"""The documentation keeps up with the code: every CLI command is in docs/cli.md, every API
route in docs/api.md, every dependency in docs/libraries.md, and the README stays a front door.

These read the command tree and the route table from the code itself, so a new command or
route without docs fails here rather than going unnoticed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from api.app import create_app
from hashdb.settings import Settings
from tools.cli import app as cli_app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README_MAX_LINES = 300


def _command_paths(command: object, prefix: str) -> Iterator[str]:
    # Typer ships its own copy of click, so groups are recognised by their sub-commands.
    subcommands: dict[str, object] = getattr(command, "commands", {})
    for name, sub in subcommands.items():
        yield from _command_paths(sub, f"{prefix} {name}")
    if not subcommands:
        yield prefix


def _cli_commands() -> list[str]:
    return sorted(_command_paths(typer.main.get_command(cli_app), "hashdb"))


def _api_operations(tmp_path: Path) -> list[str]:
    # The OpenAPI schema is FastAPI's public list of every route the app serves, with the
    # routers it includes already expanded (``app.routes`` holds them folded up).
    app = create_app(Settings(db=str(tmp_path / "docs.sqlite")))
    paths = app.openapi()["paths"]
    return sorted(f"{method.upper()} {path}" for path, ops in paths.items() for method in ops)


def _dependency_names() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements.extend(extra)
    names = {re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0] for requirement in requirements}
    return sorted(names - {project["name"]})


def test_readme_is_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; keep it <= {README_MAX_LINES} and move detail to docs/"
    )


def test_readme_links_reach_files() -> None:
    # mkdocs --strict checks the links inside docs/; the README is outside the site.
    targets = re.findall(r"\]\(((?!https?:)[^)#\s]+)[^)]*\)", (ROOT / "README.md").read_text())
    assert targets
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_the_command_tree_is_read() -> None:
    commands = _cli_commands()
    assert {"hashdb match", "hashdb keys create", "hashdb review allow"} <= set(commands)


@pytest.mark.parametrize("command", _cli_commands())
def test_every_cli_command_is_documented(command: str) -> None:
    assert command in (DOCS / "cli.md").read_text(), f"`{command}` is missing from docs/cli.md"


def test_every_api_route_is_documented(tmp_path: Path) -> None:
    operations = _api_operations(tmp_path)
    assert "POST /v1/match" in operations
    text = (DOCS / "api.md").read_text()
    missing = [operation for operation in operations if operation not in text]
    assert not missing, f"routes missing from docs/api.md: {missing}"


def test_every_dependency_is_justified() -> None:
    text = (DOCS / "libraries.md").read_text().lower()
    names = _dependency_names()
    assert "mkdocs" in names
    missing = [name for name in names if f"`{name.lower()}`" not in text]
    assert not missing, f"dependencies without a reason in docs/libraries.md: {missing}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    command = next(line for line in ci_lines if line.startswith("python3.11 -m venv"))
    assert "mkdocs build --strict" in command
    assert command in readme.splitlines(), "README's test command and .ci/run differ"
