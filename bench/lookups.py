"""One-hash lookups through the real HTTP server, and its memory, beside their floors.

    python -m bench.lookups [--entries 100000] [--requests 2000] [--backends sqlite,postgres]
                            [--seed 1]

Loads ``--entries`` random PDQ hashes (the same on each backend) into a fresh database per
backend, starts ``hashdb serve`` as subprocesses, and drives ``POST /v1/lookup`` with one
hash per request from kept-alive HTTP connections on this machine.

With one one-worker server per backend running at once, and each request sent to every
server in turn in an order drawn from ``--seed`` (so the backends meet the same hashes under
the same conditions of the host, whose speed drifts over minutes on a shared machine):

- p50 / p99 latency one request at a time (each query a near copy of a stored hash, so every
  request is a hit explained from the entry), from the standard library's ``http.client``;
  the same through ``httpx`` beside it, whose own Python costs about a millisecond a request
  on this kind of machine (the client runs on the same cores as the server);
- p50 of lookups of random hashes, which match nothing (most uploads of a platform): no
  entry to read, so no database read on either backend.

Then each backend's server alone (a fresh one, given the same requests again, whose hit p50
is printed too: measured minutes apart, it shows what the interleaving removes):

- requests/s with 4 client threads (``http.client``, one connection each);
- whether a request when nothing changed reaches the database (it should not);
- memory of the server after the run, with one worker and with two: resident (RSS, which
  counts pages shared between processes once in each) and proportional (PSS, which divides
  each shared page between the processes that map it: what the workers really cost). Read
  with no other server running, whose shared pages would lower the PSS.

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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.store import NewEntry, NewList

from .lookups_pg import drop_database, postgres_database, statements_per_lookup
from .server import free_port

FLOORS = {
    "p50_ms": 1.0,
    "p99_ms": 3.0,
    "threads4_per_s": 1000.0,
    "rss_one_mib": 150.0,
    "pss_two_over_one": 1.3,
}


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
        self.port = free_port()
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

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

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


class HttpxClient:
    """The same through ``httpx``, whose own Python costs more than the server's share."""

    def __init__(self, base: str, key: str) -> None:
        self.client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"})

    def lookup(self, query: str) -> tuple[int, dict[str, Any]]:
        body = {"hashes": [{"algorithm": "pdq", "value": query}]}
        response = self.client.post("/v1/lookup", json=body)
        return response.status_code, response.json()

    def close(self) -> None:
        self.client.close()


def interleaved(
    clients: Mapping[str, Client | HttpxClient],
    queries: list[str],
    order: np.random.Generator,
    *,
    matching: bool = True,
) -> dict[str, list[float]]:
    """Milliseconds of each request, one at a time: each query goes to every client's server
    in turn, in an order drawn anew for each query, so that every server meets the same
    hashes under the same conditions of the host (whose speed drifts over minutes on a
    shared machine) and none is always the first, or the second, of a pair."""
    names = list(clients)
    timings: dict[str, list[float]] = {name: [] for name in names}
    for query in queries:
        for index in order.permutation(len(names)):
            name = names[index]
            started = time.perf_counter()
            status, answer = clients[name].lookup(query)
            timings[name].append((time.perf_counter() - started) * 1000)
            assert status == 200 and answer["results"][0]["matched"] is matching, answer
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


@dataclass(frozen=True)
class Workload:
    """The same requests for every backend (their databases hold the same entries)."""

    warm_up: list[str]
    queries: list[str]  # near copies of entries: hits
    others: list[str]  # as many again for the httpx pass, so that it meets uncached entries
    unrelated: list[str]  # random hashes, which match nothing

    @classmethod
    def of(cls, values: list[bytes], requests: int) -> Workload:
        rng = np.random.default_rng(7)
        # Repeated uploads of popular media: a realistic hit stream reuses some entries.
        picks = rng.integers(0, len(values), requests)
        queries = [near(values[index], rng) for index in picks]
        others = [near(values[index], rng) for index in rng.integers(0, len(values), requests)]
        # Most uploads of a platform match nothing: such a lookup reads no entry.
        unrelated = [bytes(row).hex() for row in rng.integers(0, 256, (requests, 32), np.uint8)]
        return cls(queries[:200], queries, others, unrelated)


def latency_together(
    urls: dict[str, str], keys: dict[str, str], work: Workload, seed: int
) -> dict[str, dict[str, float]]:
    """The one-at-a-time latencies, with one one-worker server per backend running at once
    and the requests interleaved between them: a ratio of backends not skewed by the host."""
    order = np.random.default_rng(seed)
    with ExitStack() as stack:
        servers = {name: stack.enter_context(Server(url, 1)) for name, url in urls.items()}

        def clients(kind: type[Client | HttpxClient]) -> dict[str, Client | HttpxClient]:
            made = {name: kind(server.base, keys[name]) for name, server in servers.items()}
            for client in made.values():
                stack.callback(client.close)
            return made

        # New connections for each pass, as the server closes one idle for 5 s.
        plain = clients(Client)
        interleaved(plain, work.warm_up, order)
        hits = interleaved(plain, work.queries, order)
        through_httpx = interleaved(clients(HttpxClient), work.others, order)
        misses = interleaved(clients(Client), work.unrelated, order, matching=False)
    return {
        name: {
            "p50_ms": statistics.median(hits[name]),
            "p99_ms": float(np.percentile(hits[name], 99)),
            "p50_httpx_ms": statistics.median(through_httpx[name]),
            "p50_miss_ms": statistics.median(misses[name]),
        }
        for name in urls
    }


def alone(url: str, key: str, work: Workload) -> dict[str, float]:
    """Throughput and memory with the backend's server alone: a page that another server
    maps too would count in each one's PSS for half. The server first gets the requests of
    the interleaved run again, so that its memory is read after as much work as before."""
    row: dict[str, float] = {}
    order = np.random.default_rng(0)
    with Server(url, 1) as server:
        # New connections for each pass, as the server closes one idle for 5 s.
        clients: list[Client | HttpxClient] = [
            Client(server.base, key),
            HttpxClient(server.base, key),
            Client(server.base, key),
        ]
        try:
            one = {"": clients[0]}
            interleaved(one, work.warm_up, order)
            row["p50_alone_ms"] = statistics.median(interleaved(one, work.queries, order)[""])
            interleaved({"": clients[1]}, work.others, order)
            interleaved({"": clients[2]}, work.unrelated, order, matching=False)
        finally:
            for client in clients:
                client.close()
        row["threads4_per_s"] = threaded(server.base, key, work.queries)
        row["queries_per_lookup"] = statements_per_lookup(url, server.base, key, work.queries[0])
        row["rss_one_mib"], row["pss_one_mib"] = server.memory_mib()
    with Server(url, 2) as server:
        for _ in range(2):  # each worker sees about as many requests as the one did
            threaded(server.base, key, work.queries)
        row["rss_two_mib"], row["pss_two_mib"] = server.memory_mib()
    row["rss_two_over_one"] = row["rss_two_mib"] / row["rss_one_mib"]
    row["pss_two_over_one"] = row["pss_two_mib"] / row["pss_one_mib"]
    return row


def measure(
    backends: list[str], folder: Path, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    urls: dict[str, str] = {}
    try:
        for backend in backends:
            urls[backend] = (
                str(folder / "bench.sqlite") if backend == "sqlite" else postgres_database()
            )
        keys: dict[str, str] = {}
        for backend, url in urls.items():
            # The same seed on each backend: the same entries, so the same hits.
            values, keys[backend] = load(url, args.entries)
        work = Workload.of(values, args.requests)
        rows = latency_together(urls, keys, work, args.seed)
        for backend, url in urls.items():
            rows[backend].update(alone(url, keys[backend], work))
        return rows
    finally:
        for backend, url in urls.items():
            if backend != "sqlite":
                drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--seed", type=int, default=1, help="of the order in which the servers get each request"
    )
    args = parser.parse_args()
    backends = [name for name in args.backends.split(",") if name]
    if not backends or len(set(backends)) != len(backends):
        parser.error("--backends: a comma-separated list of sqlite, postgres, each once")
    with tempfile.TemporaryDirectory() as folder:
        rows = measure(backends, Path(folder), args)
    load1, load5, _ = os.getloadavg()
    print(
        f"# bench.lookups {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load {load1:.1f}/{load5:.1f}, {args.entries:,} entries, "
        f"{args.requests:,} requests, latencies interleaved between the backends "
        f"(seed {args.seed})\n"
    )
    names = list(rows)
    print("| figure | floor | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    labels = {
        "p50_ms": ("one-hash lookup p50 (ms)", "<= 1.0"),
        "p99_ms": ("one-hash lookup p99 (ms)", "<= 3.0"),
        "p50_httpx_ms": ("one-hash lookup p50 through httpx (ms)", ""),
        "p50_miss_ms": ("one-hash lookup p50, a hash that matches nothing (ms)", ""),
        "p50_alone_ms": ("one-hash lookup p50, the server alone, not interleaved (ms)", ""),
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
        postgres, sqlite = rows["postgres"], rows["sqlite"]
        print(
            f"\nPostgreSQL p50 / SQLite p50, interleaved: "
            f"{postgres['p50_ms'] / sqlite['p50_ms']:.2f} (floor <= 1.2); "
            f"no match: {postgres['p50_miss_ms'] / sqlite['p50_miss_ms']:.2f}; "
            f"each server alone, minutes apart: "
            f"{postgres['p50_alone_ms'] / sqlite['p50_alone_ms']:.2f}"
        )


if __name__ == "__main__":
    main()
