"""The API through a real uvicorn process started by ``hashdb serve``."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx

from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing.images import encode, scene
from tests.api.serving import serve


def test_served_match_sees_entries_added_by_another_process(tmp_path: Path) -> None:
    with serve(tmp_path) as served:
        base, headers = served.base, {"Authorization": f"Bearer {served.key}"}
        image = scene(1)
        files = {"file": ("x.jpg", encode(image))}
        first = httpx.post(f"{base}/v1/match", files=files, timeout=30, headers=headers)
        assert first.status_code == 200 and first.json()["matched"] is False

        writer = HashDB(Settings(db=served.db))
        writer.adding.media(
            "terror", encode(image, "PNG"), EntryMetadata(label="seen"), principal=LOCAL_OPERATOR
        )
        writer.close()

        # The server follows other processes' writes within its refresh interval (0.25 s).
        deadline = time.monotonic() + 1.0
        while True:
            second = httpx.post(f"{base}/v1/match", files=files, timeout=30, headers=headers)
            if second.json()["matched"] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert second.json()["matched"] is True
        assert second.json()["matches"][0]["label"] == "seen"

        bad = httpx.post(
            f"{base}/v1/match", files={"file": ("x.jpg", b"nope")}, timeout=30, headers=headers
        )
        assert bad.status_code == 415
        assert bad.headers["content-type"] == "application/problem+json"
        assert httpx.post(f"{base}/v1/match", files=files, timeout=30).status_code == 401

        traced = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "trace-42"})
        assert traced.headers["x-request-id"] == "trace-42"

        served.process.send_signal(signal.SIGTERM)
        # uvicorn drains, runs the shutdown, then re-raises the signal: 0 or -SIGTERM.
        assert served.process.wait(timeout=20) in (0, -signal.SIGTERM)
    lines = [
        json.loads(line) for line in served.log.read_text().splitlines() if line.startswith("{")
    ]
    assert any(line.get("message") == "Application shutdown complete." for line in lines)
    access = [line for line in lines if line.get("message") == "request"]
    assert any(line.get("request_id") == "trace-42" for line in access)
    assert any(line.get("status") == 415 and line.get("route") == "/v1/match" for line in access)
