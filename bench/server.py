"""``hashdb serve`` as a subprocess on a free port of 127.0.0.1, for the HTTP benchmarks."""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:PORT
    key: str  # the bootstrap admin key the server printed
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(db: str, workers: int = 1, ready_within: float = 180) -> Iterator[Served]:
    """Serve ``db`` until the block ends; the server's log is shown if it fails to start."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "server.log"
        port = free_port()
        command = [sys.executable, "-m", "tools.cli", "--db", db, "serve", "--port", str(port)]
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [*command, "--workers", str(workers)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + ready_within
                while True:
                    try:
                        if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(log_path.read_text())
                    time.sleep(0.2)
                output = log_path.read_text().splitlines()
                key = next(line for line in output if line.startswith("hdb_"))
                yield Served(base, key, server.pid)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes (and their children) have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        for candidate in [pid, *children(pid)]:
            try:
                fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_mib(pid: int) -> float:
    """Resident memory of the process and its children."""
    total = 0
    for candidate in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def machine_line(name: str) -> str:
    """Where and when a figure was measured: the header line of every bench table."""
    return (
        f"# {name} {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load avg {os.getloadavg()[0]:.1f}"
    )
