"""``hashdb rescan`` as a user runs it: a real process killed mid-scan and resumed."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.rescan.conftest import make_tree
from tools.cli import app

REPO = Path(__file__).resolve().parents[2]


def _hashdb(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tools.cli", "--db", str(db), *args]


def _wait_for_checkpoint(db: Path, job_id: int, done: int, proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the scan finished before it could be interrupted"
        with sqlite3.connect(db) as connection:
            row = connection.execute(
                "SELECT done, status FROM scan_jobs WHERE id = ?", (job_id,)
            ).fetchone()
        if row is not None and row[0] >= done:
            assert row[1] == "running"
            return int(row[0])
        time.sleep(0.02)
    raise AssertionError("no checkpoint in time")


def _start(db: Path, cwd: Path, output: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _hashdb(
            db,
            "rescan",
            "media",
            "-o",
            output,
            "--workers",
            "2",
            "--chunk-size",
            "1",
            "--checkpoint-interval",
            "0.05",
        ),
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _in_process(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_sigkill_and_ctrl_c_then_resume_lose_and_repeat_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "media", images=44, size=(400, 300))
    db = tmp_path / "db.sqlite"
    monkeypatch.chdir(tmp_path)
    code, _, err = _in_process(db, "rescan", "media", "-o", "full.jsonl")
    assert code == 1, err  # the tree has unreadable files
    assert "rescan job 1 completed: 48 files, 0 matched, 3 errors" in err
    reference = (tmp_path / "full.jsonl").read_bytes()
    assert reference.count(b"\n") == 48

    # Hard kill (no chance to checkpoint) of the process group, mid-scan.
    killed = _start(db, tmp_path, "killed.jsonl")
    done = _wait_for_checkpoint(db, 2, 5, killed)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.communicate(timeout=30)
    assert 5 <= done < 48
    code, _, err = _in_process(db, "rescan", "--resume", "2")
    assert code == 1, err
    assert "rescan job 2 completed (resumed): 48 files" in err
    assert (tmp_path / "killed.jsonl").read_bytes() == reference

    # Ctrl-C: checkpoint, exit 130 with the job id, resume.
    stopped = _start(db, tmp_path, "stopped.jsonl")
    _wait_for_checkpoint(db, 3, 5, stopped)
    os.killpg(stopped.pid, signal.SIGINT)
    _, err = stopped.communicate(timeout=60)
    assert stopped.returncode == 130, err
    assert "hashdb rescan --resume 3" in err and "Traceback" not in err
    with sqlite3.connect(db) as connection:
        status, done = connection.execute(
            "SELECT status, done FROM scan_jobs WHERE id = 3"
        ).fetchone()
    assert (
        status == "interrupted" and (tmp_path / "stopped.jsonl").read_bytes().count(b"\n") == done
    )
    code, _, err = _in_process(db, "rescan", "--resume", "3")
    assert code == 1, err
    assert (tmp_path / "stopped.jsonl").read_bytes() == reference


def _run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    return _in_process(tmp_path / "cli.sqlite", *args)


def test_json_to_stdout_progress_and_summary_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "media", images=6)
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(tmp_path, "add", "--list", "terror", "media/known.png")
    assert code == 0
    code, out, err = _run(
        tmp_path, "rescan", "--json", "media", "--workers", "1", "--progress-interval", "0"
    )
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    walked = sorted(
        p.relative_to(tmp_path).parts for p in (tmp_path / "media").rglob("*") if p.is_file()
    )
    assert [line["path"] for line in lines] == [os.path.join(*parts) for parts in walked]
    assert [line["path"] for line in lines if line["matched"]] == ["media/known.png"]
    assert "rescan job 1: " in err and "files/s" in err  # progress lines (not a terminal)
    assert "rescan job 1 completed: 10 files, 1 matched, 3 errors (corrupt_media 1," in err

    code, out, err = _run(tmp_path, "rescan", "media", "-o", "report.csv", "-w", "1")
    assert code == 1 and out == ""
    with (tmp_path / "report.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["path"] for row in rows] == [line["path"] for line in lines]
    known = next(row for row in rows if row["path"] == "media/known.png")
    assert known["status"] == "match" and known["list"] == "terror"
    assert known["algorithm"] == "pdq" and known["distance"] == "0"
    broken = next(row for row in rows if row["path"] == "media/a/broken.jpg")
    assert broken["status"] == "error" and broken["error_code"] == "corrupt_media"

    code, out, _ = _run(tmp_path, "scan-jobs", "--json")
    jobs = [json.loads(line) for line in out.splitlines()]
    assert [(job["id"], job["status"], job["files"]) for job in jobs] == [
        (2, "completed", 10),
        (1, "completed", 10),
    ]


def test_rescan_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    assert _run(tmp_path, "rescan")[0] == 2
    code, _, err = _run(tmp_path, "rescan", "--resume", "1", str(tmp_path / "media"))
    assert code == 2 and "--resume continues" in err
    code, _, err = _run(tmp_path, "rescan", "--resume", "41")
    assert code == 1 and "no scan job with id 41" in err
    code, _, err = _run(tmp_path, "rescan", "--engine", "dask", str(tmp_path / "media"))
    assert code == 2 and "--scheduler" in err
    code, _, err = _run(tmp_path, "rescan", "--list", "nope", str(tmp_path / "media"))
    assert code == 2 and "nope" in err
    code, _, err = _run(tmp_path, "rematch", "--since", "yesterday")
    assert code == 2 and "ISO 8601" in err


def test_the_dask_engine_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    # An installation without hashdb[dask]: a "distributed" that cannot be imported, first
    # on the path of a real CLI process.
    missing = tmp_path / "site" / "distributed"
    missing.mkdir(parents=True)
    (missing / "__init__.py").write_text("raise ImportError('No module named distributed')\n")
    (tmp_path / "media").mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(REPO)])}
    done = subprocess.run(
        [
            *_hashdb(tmp_path / "db.sqlite", "rescan", "--engine", "dask"),
            "--scheduler",
            "tcp://127.0.0.1:1",
            str(tmp_path / "media"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'hashdb[dask]'" in done.stderr and "Traceback" not in done.stderr
