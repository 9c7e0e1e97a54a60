"""One behaviour across commands: exit codes, the error line, closed pipes, settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashdb.testing.images import encode, jpeg, scene
from tools.cli import app


def _hashdb(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HASHDB_DB": str(tmp_path / "cli.sqlite"), **(env or {})},
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(db_url: str) -> str:
    return db_url


def _run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def test_an_unknown_list_is_a_usage_error_in_every_command(db: str, tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(encode(scene(1, (300, 200)), "PNG"))
    assert _run(db, "create-list", "known")[0] == 0
    for args in (
        ("export", "--list", "typo"),
        ("match", "--list", "typo", str(image)),
        ("review", "list", "--list", "typo"),
        ("update-list", "typo", "--action", "log"),
    ):
        code, _, err = _run(db, *args)
        assert code == 2, (args, err)
        assert err.startswith("error: list_not_found: no list named 'typo'"), (args, err)


def test_audit_with_an_unknown_type_is_a_usage_error(db: str) -> None:
    code, _, err = _run(db, "audit", "--type", "bogus")
    assert code == 2 and err.startswith("error: usage_error: --type takes one of")
    assert _run(db, "audit", "--type", "list")[0] == 0


def test_a_bad_setting_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    result = _hashdb(tmp_path, "lists", env={"HASHDB_REFRESH_INTERVAL": "abc"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: config_error: invalid setting: ")
    assert "HASHDB_REFRESH_INTERVAL='abc'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_serve_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _hashdb(tmp_path, "serve", "--port", str(port))
    assert result.returncode == 4, result.stderr
    assert result.stderr.strip() == (
        f"error: address_in_use: 127.0.0.1:{port} is in use by another process; "
        "stop it or choose --port"
    )


def test_export_into_a_closed_pipe_ends_quietly_with_zero(tmp_path: Path) -> None:
    rows = "".join(f"md5,{index:032x}\n" for index in range(1, 30_001))
    source = tmp_path / "many.csv"
    source.write_text("algorithm,hash\n" + rows)
    assert _hashdb(tmp_path, "import", str(source), "--list", "many").returncode == 0
    env = {**os.environ, "HASHDB_DB": str(tmp_path / "cli.sqlite")}
    export = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "export", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert export.stdout is not None and export.stderr is not None
    export.stdout.readline()  # what `head -1` reads, then it goes away
    export.stdout.close()
    assert export.wait(timeout=120) == 0
    assert export.stderr.read() == b""
    export.stderr.close()


def test_every_line_reaches_a_pipe_before_the_command_ends(tmp_path: Path) -> None:
    """The command leaves without Python's teardown: its buffered output must still arrive
    whole, and its exit code unchanged."""
    rows = "".join(f"md5,{index:032x}\n" for index in range(1, 20_001))
    source = tmp_path / "many.csv"
    source.write_text("algorithm,hash\n" + rows)
    assert _hashdb(tmp_path, "import", str(source), "--list", "many").returncode == 0
    export = _hashdb(tmp_path, "export", "--format", "csv")
    assert export.returncode == 0, export.stderr
    exported = {line.split(",")[1] for line in export.stdout.splitlines()[1:]}
    assert exported >= {f"{index:032x}" for index in range(1, 20_001)}
    missing = _hashdb(tmp_path, "hash", str(tmp_path / "no-such.jpg"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_a_command_whose_output_cannot_be_written_says_so(tmp_path: Path) -> None:
    picture = tmp_path / "one.jpg"
    picture.write_bytes(jpeg(3))
    with open(os.devnull, "rb") as nothing, open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "tools.cli", "hash", str(picture)],
            stdin=nothing,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "HASHDB_DB": str(tmp_path / "cli.sqlite")},
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "No space left" in result.stderr
