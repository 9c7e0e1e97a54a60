"""Start ``hashdb serve`` as a real process for tests; yields its URL, database and admin key."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Served:
    base: str
    db: str
    key: str
    log: Path
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, db: str | None = None
) -> Iterator[Served]:
    """``hashdb serve`` on a free port, on ``db`` (a SQLite file in ``tmp_path`` by default)."""
    db = db or str(tmp_path / "served.sqlite")
    port = free_port()
    log_path = tmp_path / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "--db", db, "serve", "--port", str(port), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded 2-core machine starts workers slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text()}")
        else:
            raise RuntimeError(f"server did not start: {log_path.read_text()}")
        key = next(line for line in log_path.read_text().splitlines() if line.startswith("hdb_"))
        yield Served(base, db, key, log_path, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
