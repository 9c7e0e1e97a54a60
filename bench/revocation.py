"""How long a revoked API key keeps working in another process, and what checking keys costs.

    python -m bench.revocation [--revocations 10] [--postgres URL]

Two services over one database stand for two API workers. Worker 2 checks a key (and trusts
it for an hour: ``auth_cache_seconds=3600``); worker 1 revokes it; the time until worker 2
refuses it is what the change feed, not the cache, decides. Then it times ``authenticate``
for a trusted key with nothing changing, with the defaults, with ``refresh_interval=0`` (the
change sequence read on every call) and with ``auth_cache_seconds=0`` (the key row read on
every call). SQLite always; PostgreSQL too with ``--postgres`` (a throw-away schema). Timings
are noisy on shared machines: compare the rows of one run as ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hashdb.errors import Unauthorized
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from hashdb.settings import Settings


def revocation_delays(url: str, count: int) -> list[float]:
    settings = Settings(db=url, auth_cache_seconds=3600)
    revoking, other = HashDB(settings), HashDB(settings)
    delays = []
    try:
        for number in range(count):
            made = revoking.keys.create(f"bench-{number}", Role.PLATFORM, principal=LOCAL_OPERATOR)
            other.keys.authenticate(made.key)
            other.keys.authenticate(made.key)  # trusted now
            start = time.perf_counter()
            revoking.keys.revoke(made.record.id, principal=LOCAL_OPERATOR)
            while True:
                try:
                    other.keys.authenticate(made.key)
                except Unauthorized:
                    break
                time.sleep(0.001)
            delays.append(time.perf_counter() - start)
    finally:
        revoking.close()
        other.close()
    return delays


def check_cost(url: str, calls: int, **settings: Any) -> float:
    """Median seconds per ``authenticate`` of a good key, nothing changing meanwhile."""
    service = HashDB(Settings(db=url, **settings))
    try:
        key = service.keys.create("bench", Role.PLATFORM, principal=LOCAL_OPERATOR).key
        service.keys.authenticate(key)
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            service.keys.authenticate(key)
            times.append(time.perf_counter() - start)
    finally:
        service.close()
    return statistics.median(times)


@contextmanager
def postgres_schema(server: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revocations", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--postgres", help="e.g. postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"# {platform.node()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {args.revocations} revocations per backend\n")
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        urls = {"SQLite": str(Path(folder) / "bench.sqlite")}
        if args.postgres:
            urls["PostgreSQL"] = stack.enter_context(postgres_schema(args.postgres))
        print("| backend | refused by the other worker after (ms): median, max |")
        print("| --- | --- |")
        for backend, url in urls.items():
            delays = [1000 * delay for delay in revocation_delays(url, args.revocations)]
            print(f"| {backend} | {statistics.median(delays):.0f}, {max(delays):.0f} |")
        print("\n| backend | settings | authenticate a trusted key (µs, median) |")
        print("| --- | --- | --- |")
        for backend, url in urls.items():
            for label, settings in (
                ("defaults (cache 1 s, refresh 0.25 s)", {}),
                ("refresh_interval=0", {"refresh_interval": 0.0}),
                ("auth_cache_seconds=0", {"auth_cache_seconds": 0.0}),
            ):
                cost = check_cost(url, args.calls, **settings)
                print(f"| {backend} | {label} | {1e6 * cost:.0f} |")


if __name__ == "__main__":
    main()
