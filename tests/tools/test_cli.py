"""The ``hashdb`` command-line contract: JSON lines, exit codes, help on every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from hashdb.testing.images import encode, scene
from tools.cli import app


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    original = scene(1, (800, 600))
    paths = {
        "original": tmp_path / "original.png",
        "reencoded": tmp_path / "reencoded.jpg",
        "resized": tmp_path / "resized.jpg",
        "unrelated": tmp_path / "unrelated.jpg",
        "corrupt": tmp_path / "corrupt.jpg",
        "text": tmp_path / "notes.jpg",
        "empty": tmp_path / "empty.jpg",
    }
    paths["original"].write_bytes(encode(original, "PNG"))
    paths["reencoded"].write_bytes(encode(original, "JPEG", quality=45))
    paths["resized"].write_bytes(encode(original.resize((333, 250)), "JPEG", quality=80))
    paths["unrelated"].write_bytes(encode(scene(2, (800, 600)), "JPEG"))
    paths["corrupt"].write_bytes(encode(original, "JPEG")[:2000])
    paths["text"].write_text("this is not an image\n")
    paths["empty"].write_bytes(b"")
    return paths


@pytest.fixture
def run(db_url: str) -> CliRunnerCall:
    """The CLI on SQLite and on PostgreSQL."""
    return CliRunnerCall(db_url)


class CliRunnerCall:
    def __init__(self, db: str) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> tuple[int, str, str]:
        result = self.runner.invoke(app, ["--db", self.db, *map(str, args)])
        return result.exit_code, result.stdout, result.stderr


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_add_then_match_json_contract(run: CliRunnerCall, files: dict[str, Path]) -> None:
    code, out, _ = run("add", "--list", "terror", files["original"], "--label", "logo")
    assert code == 0 and "5 new" in out

    order = ["reencoded", "resized", "unrelated", "corrupt", "text", "empty", "original"]
    code, out, _ = run("match", "--json", *[files[name] for name in order])
    assert code == 1  # some inputs could not be read
    results = _lines(out)
    assert [r["path"] for r in results] == [str(files[name]) for name in order]
    by_name = dict(zip(order, results, strict=True))
    for name in ("reencoded", "resized", "original"):
        assert by_name[name]["matched"] is True
        match = by_name[name]["matches"][0]  # type: ignore[index]
        assert {"list", "entry_id", "algorithm", "distance", "label"} <= set(match)
        assert match["list"] == "terror" and match["label"] == "logo"
    assert by_name["unrelated"]["matched"] is False and by_name["unrelated"]["matches"] == []
    for name, code_expected in [
        ("corrupt", "corrupt_media"),
        ("text", "unsupported_media"),
        ("empty", "empty_media"),
    ]:
        result = by_name[name]
        assert result["matched"] is False
        assert result["error"]["code"] == code_expected  # type: ignore[index]
        assert result["error"]["message"]  # type: ignore[index]


def test_match_in_worker_processes_answers_the_same_in_order(
    run: CliRunnerCall, files: dict[str, Path]
) -> None:
    run("add", "--list", "terror", files["original"], "--label", "logo")
    order = ["reencoded", "corrupt", "unrelated", "resized", "text", "original", "empty"] * 3
    paths = [files[name] for name in order]
    alone = run("match", "--json", "--workers", "1", *paths)
    side_by_side = run("match", "--json", "--workers", "2", *paths)
    assert alone[0] == side_by_side[0] == 1  # some inputs could not be read
    assert _lines(side_by_side[1]) == _lines(alone[1])
    assert [r["matched"] for r in _lines(alone[1])][:4] == [True, False, False, True]


def test_match_exit_zero_when_every_input_is_read(
    run: CliRunnerCall, files: dict[str, Path]
) -> None:
    run("add", "--list", "terror", files["original"])
    code, out, _ = run("match", "--json", files["unrelated"], files["reencoded"])
    assert code == 0
    assert [r["matched"] for r in _lines(out)] == [False, True]


def test_usage_errors_exit_2(run: CliRunnerCall, files: dict[str, Path]) -> None:
    assert run("match")[0] == 2
    assert run("match", "--bogus", files["original"])[0] == 2
    run("add", "--list", "terror", files["original"])
    code, _, err = run("match", "--list", "nope", files["original"])
    assert code == 2 and "nope" in err


def test_human_output(run: CliRunnerCall, files: dict[str, Path]) -> None:
    run("add", "--list", "terror", files["original"], "--label", "logo")
    code, out, err = run("match", files["reencoded"], files["unrelated"], files["text"])
    assert code == 1
    assert "MATCH list=terror" in out and "label='logo'" in out
    assert f"{files['unrelated']}: no match" in out
    assert "not a supported image" in err


def test_hash_json(run: CliRunnerCall, files: dict[str, Path]) -> None:
    code, out, _ = run("hash", "--json", files["original"], files["empty"])
    assert code == 1
    ok, bad = _lines(out)
    hashes = ok["hashes"]
    assert isinstance(hashes, dict)
    assert len(hashes["pdq"]) == 64 and len(hashes["phash"]) == 16 and len(hashes["sha256"]) == 64
    assert hashes["pdq_quality"] == 100
    assert bad["error"]["code"] == "empty_media"  # type: ignore[index]


def test_add_hash_refuses_malformed_and_degenerate(run: CliRunnerCall) -> None:
    code, _, err = run("add-hash", "--list", "p", "--algorithm", "pdq", "abc")
    assert code == 1 and "64 hex characters" in err
    code, _, err = run("add-hash", "--list", "p", "--algorithm", "pdq", "0" * 64)
    assert code == 1 and "all zeros" in err
    code, _, err = run("add-hash", "--list", "p", "--algorithm", "sift", "0" * 64)
    assert code == 1 and "unknown algorithm" in err
    code, out, _ = run("lists", "--json")
    assert out.strip() == ""  # nothing was written, not even the list


def test_duplicate_add_is_idempotent(run: CliRunnerCall, files: dict[str, Path]) -> None:
    run("add", "--list", "terror", files["original"])
    code, out, _ = run("add", "--list", "terror", "--json", files["original"])
    assert code == 0 and _lines(out)[0]["created"] == 0
    code, out, _ = run("lists", "--json")
    assert _lines(out)[0]["live_entries"] == 5


def test_flat_image_add_reports_refusals(run: CliRunnerCall, tmp_path: Path) -> None:
    flat = tmp_path / "flat.png"
    Image.new("RGB", (200, 200), (50, 50, 50)).save(flat)
    code, _, err = run("add", "--list", "terror", flat)
    assert code == 1 and "refused pdq" in err


def test_retire_and_entry(run: CliRunnerCall, files: dict[str, Path]) -> None:
    _, out, _ = run("add", "--list", "terror", "--json", files["original"])
    entry_id = _lines(out)[0]["added"][0]["entry_id"]  # type: ignore[index]
    code, out, _ = run("retire", str(entry_id), "--reason", "news report", "--by", "rev", "--json")
    assert code == 0 and _lines(out)[0]["retired_reason"] == "news report"
    code, _, err = run("retire", str(entry_id), "--reason", "again")
    assert code == 1 and "already retired" in err
    code, _, err = run("entry", "999999")
    assert code == 1 and "no entry" in err


def test_list_management(run: CliRunnerCall) -> None:
    code, out, _ = run(
        "create-list", "review-me", "--action", "review", "-t", "pdq=20", "-t", "phash=8"
    )
    assert code == 0 and _lines(out)[0]["thresholds"] == {"pdq": 20, "phash": 8}
    code, _, err = run("create-list", "bad", "-t", "pdq=abc")
    assert code == 2 and "ALGORITHM=BITS" in err
    code, _, err = run("create-list", "review-me")
    assert code == 1 and "already exists" in err
    code, out, _ = run("update-list", "review-me", "--action", "log")
    assert _lines(out)[0]["action"] == "log"
    assert _lines(out)[0]["matching_mode"] == "robust"


def test_a_lists_matching_mode_from_the_command_line(
    run: CliRunnerCall, files: dict[str, Path]
) -> None:
    code, out, _ = run("create-list", "digests-only", "--mode", "exact")
    assert code == 0 and _lines(out)[0]["matching_mode"] == "exact"
    code, _, err = run("create-list", "odd", "--mode", "fuzzy")
    assert code == 2 and "fuzzy" in err
    assert run("add", "--list", "digests-only", files["original"])[0] == 0
    code, out, _ = run("match", "--json", files["reencoded"])
    assert _lines(out)[0]["matched"] is False  # a perceptual match: not on an exact list
    code, out, _ = run("update-list", "digests-only", "--mode", "hash")
    assert code == 0 and _lines(out)[0]["matching_mode"] == "hash"
    code, out, _ = run("match", "--json", files["reencoded"])
    (match,) = _lines(out)[0]["matches"]  # type: ignore[misc]
    assert (match["stage"], match["algorithm"]) == ("hash", "pdq")
    code, out, _ = run("lists")
    assert "mode=hash" in out
    code, out, _ = run("lists", "--json")
    assert _lines(out)[0]["matching_mode"] == "hash"


def test_thousands_of_files_in_one_call(run: CliRunnerCall, tmp_path: Path) -> None:
    small = encode(scene(3, (64, 64)), "JPEG")
    paths = []
    for i in range(2000):
        path = tmp_path / f"f{i}.jpg"
        path.write_bytes(small)
        paths.append(path)
    run("add", "--list", "terror", paths[0])
    code, out, _ = run("match", "--json", *paths)
    assert code == 0
    assert sum(1 for r in _lines(out) if r["matched"]) == 2000


def test_every_command_has_help(run: CliRunnerCall) -> None:
    code, out, _ = run("--help")
    assert code == 0
    commands = [c.name for c in app.registered_commands]
    assert len(commands) >= 10
    for command in commands:
        assert command is not None
        code, out, _ = run(command, "--help")
        assert code == 0 and len(out) > 80, command
    for command in app.registered_commands:
        assert (command.callback.__doc__ or "").strip(), command.name  # type: ignore[union-attr]


def test_real_entry_point_never_prints_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "HASHDB_DB": str(tmp_path / "missing-dir" / "x.sqlite")}
    result = subprocess.run(
        [sys.executable, "-m", "tools.cli", "lists"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr and "does not exist" in result.stderr
