"""API batch adds: ``POST /v1/lists/{name}/hashes``, 1,000 raw PDQ hashes per call, one client.

    python -m bench.api_adds [--entries 100000] [--calls 30] [--batch 1000] [--backend both]
                             [--grown-by import]

Serves a fresh database (SQLite, and PostgreSQL in a schema of its own when the server at
``--postgres`` answers) holding ``--entries`` random PDQ entries, then sends ``--calls``
calls of ``--batch`` new random PDQ hashes one after another from one client, as a partner
pushing a feed would. Prints hashes/s beside the floor of each backend, the p50/p99 time of
a call, and the CPU time the server and its database backends spent per call: other jobs
sharing the cores make wall-clock figures noisy (the load average is printed with them),
CPU time much less so.

``--grown-by import`` loads the entries with ``hashdb import``'s bulk path, which refreshes
the planner statistics; ``--grown-by adds`` grows the list through ``Store.add_entries`` in
batches of ``--batch`` and never asks for statistics, as a database fed only by adds is, so
on PostgreSQL it has only what hashdb (or autovacuum, when it is on) analyses by itself.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from bench.server import cpu_seconds, machine_line, served
from hashdb.store import NewEntry, open_store
from hashdb.store.plain_import import PlainRows

#: hashes/s the adds must reach, per backend.
FLOORS = {"sqlite": 10_000, "postgres": 5_000}
APPLICATION = "hashdb_bench_adds"


@contextmanager
def database(backend: str, tmp: str, postgres: str) -> Iterator[str]:
    if backend == "sqlite":
        yield str(Path(tmp) / "adds.sqlite")
        return
    schema = f"bench_adds_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{postgres}?options=-csearch_path%3D{schema}&application_name={APPLICATION}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def preload(db: str, entries: int, grown_by: str, batch: int) -> float:
    """Random PDQ entries already on the list (fixture data), loaded in bulk and analysed, or
    added ``batch`` at a time; the seconds it took."""
    store = open_store(db)
    started = time.perf_counter()
    try:
        hash_list = store.ensure_list("feed")
        values = np.random.default_rng(7).integers(0, 256, (entries, 32), dtype=np.uint8)
        if grown_by == "adds":
            for start in range(0, entries, batch):
                store.add_entries(
                    hash_list.id,
                    [NewEntry("pdq", bytes(value)) for value in values[start : start + batch]],
                )
            return time.perf_counter() - started
        with store.transaction():
            store.import_plain(
                hash_list.id, PlainRows("pdq", values, [{}], np.zeros(entries, dtype=np.intp))
            )
            store.analyze()
        return time.perf_counter() - started
    finally:
        store.close()


@dataclass
class Measured:
    rate: float  # hashes/s, wall clock
    call_ms: list[float]
    server_cpu: float  # CPU seconds of the server process over the timed calls
    database_cpu: float  # CPU seconds of its PostgreSQL backends (0 for SQLite)


def run(db: str, args: argparse.Namespace) -> Measured:
    rng = np.random.default_rng(11)
    bodies = [
        {
            "hashes": [
                {"algorithm": "pdq", "value": bytes(row).hex()}
                for row in rng.integers(0, 256, (args.batch, 32), dtype=np.uint8)
            ],
            "label": "partner feed",
        }
        for _ in range(args.calls + 2)
    ]
    with served(db) as server:
        headers = {"Authorization": f"Bearer {server.key}"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
            for body in bodies[:2]:  # warm up: first connections, first plans
                client.post("/v1/lists/feed/hashes", json=body).raise_for_status()
            backends = database_pids(db)
            cpu_before = cpu_seconds([server.pid]), cpu_seconds(backends)
            times = []
            started = time.perf_counter()
            for body in bodies[2:]:
                begun = time.perf_counter()
                response = client.post("/v1/lists/feed/hashes", json=body)
                times.append((time.perf_counter() - begun) * 1000)
                if response.status_code != 201:
                    raise SystemExit(f"{response.status_code}: {response.text[:300]}")
            wall = time.perf_counter() - started
            server_cpu = cpu_seconds([server.pid]) - cpu_before[0]
            database_cpu = cpu_seconds(backends) - cpu_before[1]
    return Measured(args.calls * args.batch / wall, times, server_cpu, database_cpu)


def database_pids(db: str) -> list[int]:
    """The PostgreSQL backends serving ``db``'s connections (tagged by application name)."""
    if "://" not in db:
        return []
    engine = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": APPLICATION},
                ).scalars()
            )
    finally:
        engine.dispose()


def postgres_answers(url: str) -> bool:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--grown-by", choices=["import", "adds"], default="import")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends and not postgres_answers(args.postgres):
        print(f"(no PostgreSQL at {args.postgres}: SQLite only)")
        backends.remove("postgres")
    rows = []
    preloads = []
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp, database(backend, tmp, args.postgres) as db:
            preloads.append(
                f"{backend} {preload(db, args.entries, args.grown_by, args.batch):.1f} s"
            )
            measured = run(db, args)
        hashes = args.calls * args.batch
        cpu = measured.server_cpu + measured.database_cpu
        floor = FLOORS[backend]
        p50 = statistics.median(measured.call_ms)
        p99 = float(np.percentile(measured.call_ms, 99))
        rows.append(
            f"| {backend} | {measured.rate:,.0f} | {floor:,} | {measured.rate / floor:.2f} "
            f"| {p50:.0f} / {p99:.0f} | {measured.server_cpu / args.calls * 1000:.0f} "
            f"| {measured.database_cpu / args.calls * 1000:.0f} | {hashes / cpu:,.0f} |"
        )
    print(
        f"{machine_line('bench.api_adds')}; {args.entries:,} PDQ entries on the list, "
        f"{args.calls} calls of {args.batch} new hashes, one client; list grown by "
        f"{args.grown_by} ({', '.join(preloads)})"
    )
    print(
        "\n| backend | hashes/s | floor | ratio | call p50 / p99 ms | server CPU ms/call "
        "| database CPU ms/call | hashes per CPU-second |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    print("\n".join(rows))
    print(
        "\nhashes per CPU-second counts the server's and the database backends' CPU only: on a "
        "quiet machine one client reaches about that rate, less the client's own time."
    )


if __name__ == "__main__":
    main()
