"""Text on the command line and on the terminal: control characters in an argument are a
usage error naming the option, and what the CLI prints cannot drive the terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hashdb.testing.images import encode, scene
from tools.cli import app
from tools.context import cells, field_line


def _hashdb(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HASHDB_DB": str(tmp_path / "cli.sqlite")}
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_control_character_in_an_argument_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    result = _hashdb(tmp_path, "export", "--list", "red\x1b[31m")
    assert result.returncode == 2
    assert result.stderr.startswith("error: usage_error: --list: control character '\\x1b'")
    assert "\x1b" not in result.stderr
    result = _hashdb(tmp_path, "create-list", "bell\x07")
    assert result.returncode == 2 and "argument 2: control character" in result.stderr
    result = _hashdb(tmp_path, "retire", "1", "--reason=two\x07")
    assert result.returncode == 2 and "--reason: control character" in result.stderr


def test_a_list_name_the_api_cannot_address_is_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.sqlite")
    for name in ("a/b", "..", "../../etc/passwd"):
        result = runner.invoke(app, ["--db", db, "create-list", name])
        assert result.exit_code == 1, result.output
        assert "is not a list name" in result.stderr


def test_retire_prints_labels_as_text_not_a_python_list(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.sqlite")
    image = tmp_path / "a.png"
    image.write_bytes(encode(scene(1, (400, 300)), "PNG"))
    assert runner.invoke(app, ["--db", db, "labels", "add", "type", "logo", "flag"]).exit_code == 0
    added = runner.invoke(
        app,
        ["--db", db, "add", "--list", "x", "--labels", "type:logo,type:flag", "--json", str(image)],
    )
    assert added.exit_code == 0, added.output
    entry_id = json.loads(added.stdout.splitlines()[0])["added"][0]["entry_id"]
    retired = runner.invoke(app, ["--db", db, "retire", str(entry_id), "--reason", "test"])
    assert retired.exit_code == 0, retired.output
    assert "labels: type:flag, type:logo" in retired.stdout
    assert "[" not in retired.stdout


def test_printed_names_and_notes_cannot_drive_the_terminal() -> None:
    assert field_line("note", "a\x1b[2Jb") == "note: a\\x1b[2Jb"
    assert field_line("labels", ["type:a", "type:b"]) == "labels: type:a, type:b"
    assert cells("legacy\x00name", "desc") == "legacy\\x00name\tdesc"
