"""A rescan's workers do not outlive their coordinator: ``kill -9`` of ``hashdb rescan``
(which then cannot stop them) ends every worker within seconds; an early Ctrl-C prints no
traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.rescan.conftest import make_tree
from tests.workers import running

REPO = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _rescan(tmp_path: Path, db: Path, *, output: int = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.cli",
            "--db",
            str(db),
            "rescan",
            "media",
            "-o",
            "r.jsonl",
            "--workers",
            "2",
            "--chunk-size",
            "1",
            "--checkpoint-interval",
            "0.05",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=output,
        stderr=output,
        text=True,
        start_new_session=True,
    )


def test_kill_9_of_the_coordinator_ends_its_workers(tmp_path: Path) -> None:
    if not Path("/proc/self/stat").exists():
        return  # the process table is read from /proc
    make_tree(tmp_path / "media", images=60, size=(400, 300))
    db = tmp_path / "db.sqlite"
    coordinator = _rescan(tmp_path, db, output=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and coordinator.poll() is None:
            try:
                with sqlite3.connect(db) as connection:
                    row = connection.execute("SELECT max(done) FROM scan_jobs").fetchone()
            except sqlite3.OperationalError:  # not made yet
                row = None
            if row is not None and (row[0] or 0) >= 3:
                workers = _descendants(coordinator.pid)
                break
            time.sleep(0.02)
        assert coordinator.poll() is None, "the scan ended before it could be killed"
        assert len(workers) >= 2, workers  # the worker processes (and a forkserver)
        os.kill(coordinator.pid, signal.SIGKILL)  # the coordinator alone, not its group
        coordinator.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(running(pid) for pid in workers):
            time.sleep(0.1)
        assert not [pid for pid in workers if running(pid)], "workers outlived the coordinator"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(coordinator.pid, signal.SIGKILL)


def _importing_libraries(pid: int) -> None:
    """Wait until ``pid`` has loaded a compiled module of an installed library: Python itself
    has started (a Ctrl-C during Python's own start-up is Python's to report), and the
    command's imports are under way."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if "site-packages" in Path(f"/proc/{pid}/maps").read_text():
                return
        except OSError:
            return  # no /proc here, or it ended: the delays alone decide
        time.sleep(0.005)


def test_an_early_ctrl_c_prints_no_traceback(tmp_path: Path) -> None:
    make_tree(tmp_path / "media", images=12)
    for delay in (0.05, 0.4, 1.0):
        db = tmp_path / f"early-{delay}.sqlite"
        coordinator = _rescan(tmp_path, db)
        _importing_libraries(coordinator.pid)
        time.sleep(delay)
        os.killpg(coordinator.pid, signal.SIGINT)
        _, err = coordinator.communicate(timeout=120)
        assert "Traceback" not in err, (delay, err)
        # Ending by the signal itself is the other clean way to stop on Ctrl-C (the shell
        # reports 130 for it too), e.g. when it comes while the command is already exiting
        # after "interrupted".
        assert coordinator.returncode in (0, 1, 130, -signal.SIGINT), (
            delay,
            coordinator.returncode,
            err,
        )
