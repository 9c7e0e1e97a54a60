"""One-hash lookups through the real HTTP server, and its memory, beside their floors.

    python -m bench.lookups [--entries 100000] [--requests 2000] [--backends sqlite,postgres]

For each backend: loads ``--entries`` random PDQ hashes into a fresh database, starts
``hashdb serve`` (one worker, then two) as a subprocess, and drives ``POST /v1/lookup`` with
one hash per request from kept-alive HTTP connections on this machine:

- p50 / p99 latency one request at a time (each query a near copy of a stored hash, so every
  request is a hit explained from the entry), from the standard library's ``http.client``;
  the same through ``httpx`` beside it, whose own Python costs about a millisecond a request
  on this kind of machine (the client runs on the same cores as the server);
- p50 of lookups of random hashes, which match nothing (most uploads of a platform): no
  entry to read, so no database read on either backend;
- requests/s with 4 client threads (``http.client``, one connection each);
- whether a request when nothing changed reaches the database (it should not);
- memory of the server after the run, with one worker and with two: resident (RSS, which
  counts pages shared between processes once in each) and proportional (PSS, which divides
  each shared page between the processes that map it: what the workers really cost).

Prints a markdown table with the floor of each figure. Timings on a shared machine are noisy:
compare rows of one run, and the backends as a ratio.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa

from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.store import NewEntry, NewList

POSTGRES = os.environ.get("HASHDB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
FLOORS = {
    "p50_ms": 1.0,
    "p99_ms": 3.0,
    "threads4_per_s": 1000.0,
    "rss_one_mib": 150.0,
    "pss_two_over_one": 1.3,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load(url: str, entries: int, seed: int = 1) -> tuple[list[bytes], str]:
    """Random PDQ entries on one list, and an admin-made platform key."""
    service = HashDB(Settings(db=url, refresh_interval=0))
    try:
        rng = np.random.default_rng(seed)
        values = [bytes(row) for row in rng.integers(0, 256, (entries, 32), dtype=np.uint8)]
        store = service.store
        with store.transaction():
            hash_list = store.create_list(NewList("bench"))
            for start in range(0, entries, 10_000):
                store.add_entries(
                    hash_list.id,
                    [
                        NewEntry("pdq", value, label="bench")
                        for value in values[start : start + 10_000]
                    ],
                )
        key = service.keys.create("bench", Role.PLATFORM, principal=LOCAL_OPERATOR).key
        return values, key
    finally:
        service.close()


def near(value: bytes, rng: np.random.Generator, bits: int = 6) -> str:
    flipped = bytearray(value)
    for bit in rng.choice(256, bits, replace=False):
        flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped).hex()


class Server:
    def __init__(self, url: str, workers: int) -> None:
        self.port = _free_port()
        env = {**os.environ, "HASHDB_DB": url, "HASHDB_LOG_LEVEL": "warning"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tools.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not become ready")

    def memory_mib(self) -> tuple[float, float]:
        """Resident and proportional memory of the server and its worker processes."""
        pids = [self.process.pid]
        for pid in list(pids):
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            pids.extend(int(child) for child in children)
        rss = pss = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            except OSError:
                pass
        return rss / 1024, pss / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Client:
    """One kept-alive connection through the standard library's ``http.client``."""

    def __init__(self, base: str, key: str) -> None:
        self.connection = http.client.HTTPConnection(base.removeprefix("http://"))
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def lookup(self, query: str) -> tuple[int, dict[str, Any]]:
        body = json.dumps({"hashes": [{"algorithm": "pdq", "value": query}]})
        self.connection.request("POST", "/v1/lookup", body, self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())

    def close(self) -> None:
        self.connection.close()


def one_at_a_time(base: str, key: str, queries: list[str], *, matching: bool = True) -> list[float]:
    timings: list[float] = []
    client = Client(base, key)
    try:
        for query in queries:
            started = time.perf_counter()
            status, answer = client.lookup(query)
            timings.append((time.perf_counter() - started) * 1000)
            assert status == 200 and answer["results"][0]["matched"] is matching, answer
    finally:
        client.close()
    return timings


def one_at_a_time_httpx(base: str, key: str, queries: list[str]) -> list[float]:
    timings: list[float] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for query in queries:
            started = time.perf_counter()
            response = client.post(
                "/v1/lookup", json={"hashes": [{"algorithm": "pdq", "value": query}]}
            )
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and response.json()["results"][0]["matched"]
    return timings


def threaded(base: str, key: str, queries: list[str], threads: int = 4) -> float:
    chunks = [queries[index::threads] for index in range(threads)]

    def run(chunk: list[str]) -> None:
        client = Client(base, key)
        try:
            for query in chunk:
                status, _ = client.lookup(query)
                assert status == 200
        finally:
            client.close()

    workers = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(queries) / (time.perf_counter() - started)


def statements_per_lookup(url: str, base: str, key: str, query: str) -> float:
    """Statements the database ran per request while nothing changed (PostgreSQL only: read
    from pg_stat_statements if present, else from the transaction counter)."""
    if not url.startswith("postgresql"):
        return float("nan")
    engine = sa.create_engine(url.split("?")[0].replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:

            def commits() -> int:
                return int(
                    connection.execute(
                        sa.text(
                            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                            "WHERE datname = current_database()"
                        )
                    ).scalar_one()
                )

            def counted(work: Callable[[], object]) -> tuple[int, float]:
                connection.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
                before, started = commits(), time.perf_counter()
                work()
                seconds = time.perf_counter() - started
                time.sleep(0.6)  # statistics are flushed about every 0.5 s
                connection.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
                return commits() - before - 2, seconds + 0.6

            def lookups() -> None:
                with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as c:
                    body = {"hashes": [{"algorithm": "pdq", "value": query}]}
                    for _ in range(200):
                        c.post("/v1/lookup", json=body)

            busy, busy_seconds = counted(lookups)
            # The change watcher reads the sequence every refresh interval whatever happens,
            # and a key is re-checked every auth_cache_seconds: background, not per request.
            idle, idle_seconds = counted(lambda: time.sleep(busy_seconds - 0.6))
            return max(0.0, busy - idle * busy_seconds / idle_seconds) / 200
    finally:
        engine.dispose()


def measure(url: str, args: argparse.Namespace) -> dict[str, float]:
    values, key = load(url, args.entries)
    rng = np.random.default_rng(7)
    # Repeated uploads of popular media: a realistic hit stream reuses some entries.
    picks = rng.integers(0, len(values), args.requests)
    queries = [near(values[index], rng) for index in picks]
    # As many again for the httpx pass, so that it meets entries as seldom cached.
    others = [near(values[index], rng) for index in rng.integers(0, len(values), args.requests)]
    row: dict[str, float] = {}
    server = Server(url, 1)
    try:
        one_at_a_time(server.base, key, queries[:200])  # warm up
        timings = one_at_a_time(server.base, key, queries)
        row["p50_ms"] = statistics.median(timings)
        row["p99_ms"] = float(np.percentile(timings, 99))
        row["p50_httpx_ms"] = statistics.median(one_at_a_time_httpx(server.base, key, others))
        # Most uploads of a platform match nothing: such a lookup reads no entry.
        unrelated = [
            bytes(row).hex() for row in rng.integers(0, 256, (args.requests, 32), np.uint8)
        ]
        row["p50_miss_ms"] = statistics.median(
            one_at_a_time(server.base, key, unrelated, matching=False)
        )
        row["threads4_per_s"] = threaded(server.base, key, queries)
        row["queries_per_lookup"] = statements_per_lookup(url, server.base, key, queries[0])
        row["rss_one_mib"], row["pss_one_mib"] = server.memory_mib()
    finally:
        server.stop()
    server = Server(url, 2)
    try:
        for _ in range(2):  # each worker sees about as many requests as the one did
            threaded(server.base, key, queries)
        row["rss_two_mib"], row["pss_two_mib"] = server.memory_mib()
    finally:
        server.stop()
    row["rss_two_over_one"] = row["rss_two_mib"] / row["rss_one_mib"]
    row["pss_two_over_one"] = row["pss_two_mib"] / row["pss_one_mib"]
    return row


def _postgres_database() -> str:
    """A database of its own, so that its transaction counter counts this server alone (the
    shared server's ``test`` database is busy with other jobs)."""
    name = f"hashdb_bench_{uuid.uuid4().hex[:10]}"
    _outside_a_transaction(f'CREATE DATABASE "{name}"')
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(url: str) -> None:
    _outside_a_transaction(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" (FORCE)')


def _outside_a_transaction(statement: str) -> None:
    """CREATE and DROP DATABASE, which PostgreSQL refuses inside a transaction."""
    engine = sa.create_engine(
        POSTGRES.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends.split(","):
            url = (
                str(Path(folder) / "bench.sqlite") if backend == "sqlite" else _postgres_database()
            )
            try:
                rows[backend] = measure(url, args)
            finally:
                if backend != "sqlite":
                    _drop_database(url)
    load1, load5, _ = os.getloadavg()
    print(
        f"# bench.lookups {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {load1:.1f}/{load5:.1f}, {args.entries:,} entries, "
        f"{args.requests:,} requests\n"
    )
    names = list(rows)
    print("| figure | floor | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    labels = {
        "p50_ms": ("one-hash lookup p50 (ms)", "<= 1.0"),
        "p99_ms": ("one-hash lookup p99 (ms)", "<= 3.0"),
        "p50_httpx_ms": ("one-hash lookup p50 through httpx (ms)", ""),
        "p50_miss_ms": ("one-hash lookup p50, a hash that matches nothing (ms)", ""),
        "threads4_per_s": ("lookups/s, 4 client threads, 1 worker", ">= 1000"),
        "queries_per_lookup": ("database transactions per lookup (nothing changed)", "0"),
        "rss_one_mib": ("resident memory (RSS), 1 worker (MiB)", "<= 150"),
        "pss_one_mib": ("proportional memory (PSS), 1 worker (MiB)", ""),
        "rss_two_mib": ("RSS, 2 workers and their parent (MiB)", ""),
        "pss_two_mib": ("PSS, 2 workers and their parent (MiB)", ""),
        "rss_two_over_one": ("RSS 2 workers / 1 worker", ""),
        "pss_two_over_one": ("PSS 2 workers / 1 worker", "<= 1.3"),
    }
    for field, (label, floor) in labels.items():
        cells = " | ".join(f"{rows[name][field]:,.2f}" for name in names)
        print(f"| {label} | {floor} | {cells} |")
    if "sqlite" in rows and "postgres" in rows:
        ratio = rows["postgres"]["p50_ms"] / rows["sqlite"]["p50_ms"]
        miss = rows["postgres"]["p50_miss_ms"] / rows["sqlite"]["p50_miss_ms"]
        print(f"\nPostgreSQL p50 / SQLite p50: {ratio:.2f} (floor <= 1.2); no match: {miss:.2f}")


if __name__ == "__main__":
    main()
