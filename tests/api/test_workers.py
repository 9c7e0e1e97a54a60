"""Several uvicorn workers on one SQLite database: a change through one is seen by all at once;
the workers are forked from the ``serve`` process, which then becomes their small supervisor
and replaces one that dies."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.serving import serve
from tests.workers import running

_WORKER = re.compile(r'hashdb_index_entries\{algorithm="md5",worker="(\d+)"\}')
_LOOKUPS = re.compile(r"^hashdb_lookup_hashes_total (\S+)$", re.MULTILINE)


def _per_worker_lookups(base: str) -> dict[str, float]:
    """Scrape /metrics on fresh connections until every worker has answered."""
    seen: dict[str, float] = {}
    for _ in range(200):
        text = httpx.get(f"{base}/metrics", timeout=10).text
        worker = _WORKER.search(text)
        count = _LOOKUPS.search(text)
        assert worker and count
        seen[worker.group(1)] = float(count.group(1))
        if len(seen) == 2:
            break
    return seen


def _seen_everywhere(check: Callable[[], bool], interval: float) -> None:
    """With interval 0 every request must agree at once; otherwise within the interval."""
    if interval:
        time.sleep(interval * 2)  # the documented staleness bound, with room for a busy machine
    assert check()


@pytest.mark.slow
@pytest.mark.parametrize("interval", [0.0, 0.25], ids=["interval-0", "default-interval"])
def test_a_hash_added_through_the_api_matches_through_every_worker(
    tmp_path: Path, interval: float
) -> None:
    env = {"HASHDB_REFRESH_INTERVAL": str(interval)}
    with serve(tmp_path, "--workers", "2", env=env) as served:
        base = served.base
        admin = {"Authorization": f"Bearer {served.key}"}
        assert len(_per_worker_lookups(base)) == 2, "both workers should be serving"
        analyst = httpx.post(
            f"{base}/v1/keys", json={"name": "ana", "role": "analyst"}, headers=admin, timeout=30
        ).json()["key"]
        headers = {"Authorization": f"Bearer {analyst}"}
        httpx.post(f"{base}/v1/lists", json={"name": "terror"}, headers=headers, timeout=30)
        value = "5d41402abc4b2a76b9719d911017c592"
        query = {"hashes": [{"algorithm": "md5", "value": value}]}

        def matched(_: int) -> bool:
            response = httpx.post(f"{base}/v1/lookup", json=query, headers=headers, timeout=30)
            assert response.status_code == 200, response.text
            return bool(response.json()["results"][0]["matched"])

        with ThreadPoolExecutor(8) as pool:
            assert not any(pool.map(matched, range(16)))  # warm both workers' indexes
            added = httpx.post(
                f"{base}/v1/lists/terror/hashes",
                json={**query, "label": "fresh"},
                headers=headers,
                timeout=30,
            )
            assert added.status_code == 201 and added.json()["created"] == 1
            # Whichever worker answers, every request after the bound must see it.
            _seen_everywhere(lambda: all(pool.map(matched, range(40))), interval)
            entry_id = added.json()["added"][0]["entry_id"]
            retired = httpx.post(
                f"{base}/v1/entries/{entry_id}/retire",
                json={"reason": "test"},
                headers=headers,
                timeout=30,
            )
            assert retired.status_code == 200
            _seen_everywhere(lambda: not any(pool.map(matched, range(40))), interval)
        lookups = _per_worker_lookups(base)
        assert len(lookups) == 2 and all(count > 0 for count in lookups.values()), lookups


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.slow
def test_workers_are_forked_from_serve_and_one_that_dies_is_replaced(tmp_path: Path) -> None:
    with serve(tmp_path, "--workers", "2") as served:
        workers = {int(pid) for pid in _per_worker_lookups(served.base)}
        assert len(workers) == 2
        assert {_parent(pid) for pid in workers} == {served.process.pid}
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        now: set[int] = set()
        while time.monotonic() < deadline:
            try:
                now = {int(pid) for pid in _per_worker_lookups(served.base)}
            except httpx.TransportError:
                continue
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.2)
        assert len(now) == 2 and victim not in now, now
        assert {_parent(pid) for pid in now} == {served.process.pid}
        # The new worker answers as the others do.
        admin = {"Authorization": f"Bearer {served.key}"}
        for _ in range(10):
            listed = httpx.get(f"{served.base}/v1/lists", headers=admin, timeout=30)
            assert listed.status_code == 200, listed.text
        assert f"worker {victim} exited" in served.log.read_text()
        # ``serve`` itself let go of the app once the workers ran: it holds no copy of the
        # pages they write to, nor any of the libraries the app loads.
        maps = Path(f"/proc/{served.process.pid}/maps").read_text()
        assert "numpy" not in maps and "cv2" not in maps
        # The new worker, started by that small process, stops with it as the others do.
        os.kill(served.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(running(pid) for pid in now):
            time.sleep(0.1)
        assert not [pid for pid in now if running(pid)], "workers outlived serve"


@pytest.mark.slow
def test_workers_stop_when_serve_is_killed(tmp_path: Path) -> None:
    """``kill -9`` of ``hashdb serve`` leaves no worker holding the port."""
    with serve(tmp_path, "--workers", "2") as served:
        workers = {int(pid) for pid in _per_worker_lookups(served.base)}
        assert len(workers) == 2
        os.kill(served.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(running(pid) for pid in workers):
            time.sleep(0.1)
        assert not [pid for pid in workers if running(pid)], "workers outlived serve"
