"""The API through a real uvicorn process started by ``hashdb serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from tests.imagegen import encode, scene


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    db = str(tmp_path / "served.sqlite")
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "--db", db, "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HASHDB_REFRESH_INTERVAL": "0"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start")
        output = (tmp_path / "server.log").read_text()
        key = next(line for line in output.splitlines() if line.startswith("hdb_"))
        yield base, db, key
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def test_served_match_sees_entries_added_by_another_process(
    server: tuple[str, str, str],
) -> None:
    base, db, key = server
    headers = {"Authorization": f"Bearer {key}"}
    image = scene(1)
    first = httpx.post(
        f"{base}/v1/match", files={"file": ("x.jpg", encode(image))}, timeout=30, headers=headers
    )
    assert first.status_code == 200 and first.json()["matched"] is False

    writer = HashDB(Settings(db=db))
    writer.add_media("terror", encode(image, "PNG"), EntryMetadata(label="seen"))
    writer.close()

    second = httpx.post(
        f"{base}/v1/match", files={"file": ("x.jpg", encode(image))}, timeout=30, headers=headers
    )
    assert second.json()["matched"] is True
    assert second.json()["matches"][0]["label"] == "seen"

    bad = httpx.post(
        f"{base}/v1/match", files={"file": ("x.jpg", b"nope")}, timeout=30, headers=headers
    )
    assert bad.status_code == 415
    assert bad.headers["content-type"] == "application/problem+json"
