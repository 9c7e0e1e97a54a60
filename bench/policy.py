"""What the sharing and allow/review policy adds to a hash lookup.

    python -m bench.policy [--entries 100000] [--queries 500] [--db PATH]

Loads random PDQ entries into a fresh SQLite file, then times hash-only lookups (one PDQ hash
per query, each a near copy of a stored entry) through: the bare plain-stage indexes; the
service as the local operator; the service as an organisation's platform with private and
shared lists in play; with every query allowed by an allow entry; and with every query a
near-miss recorded in the review queue (a write per query). Prints the median and p99 per
lookup in ms. Timings are noisy on shared machines: compare the rows of one run as ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hashdb.hashing import Digest
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.store import ListAction, NewEntry, NewList
from hashdb.store.models import ListSettings, Sharing

PLATFORM = Principal("bench-uploads", Role.PLATFORM, "beta")


def flip(value: bytes, bits: int, rng: random.Random) -> bytes:
    number = int.from_bytes(value, "big")
    for bit in rng.sample(range(256), bits):
        number ^= 1 << bit
    return number.to_bytes(32, "big")


def timed(function: Callable[[Digest], object], queries: list[Digest]) -> tuple[float, float]:
    samples = []
    for query in queries:
        start = time.perf_counter()
        function(query)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.99) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temporary)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="hashdb-bench-")
    db = args.db or Path(folder) / "bench.sqlite"
    service = HashDB(Settings(db=str(db), refresh_interval=1.0))
    store = service.store
    rng = random.Random(7)
    values = [rng.randbytes(32) for _ in range(args.entries)]
    lists = {}
    for name, action, owner, sharing in (
        ("acme-shared", ListAction.BLOCK, "acme", Sharing.SHARED_READ),
        ("acme-private", ListAction.BLOCK, "acme", Sharing.PRIVATE),
        ("beta-own", ListAction.REVIEW, "beta", Sharing.PRIVATE),
    ):
        created = store.create_list(NewList(name, action=action, thresholds={"pdq": 31}))
        store.ensure_organisation(owner)
        store.save_list_settings(ListSettings(created.id, owner, sharing))
        lists[name] = created
    names = list(lists)
    for start in range(0, len(values), 10_000):
        chunk = values[start : start + 10_000]
        with store.transaction():
            for offset, name in enumerate(names):
                part = [NewEntry("pdq", v) for v in chunk[offset :: len(names)]]
                store.add_entries(lists[name].id, part)
    service.pipeline.indexes.refresh(force=True)

    def queries(bits: int) -> list[Digest]:
        return [
            Digest("pdq", flip(rng.choice(values), bits, rng), 100) for _ in range(args.queries)
        ]

    near = queries(12)
    rows: list[tuple[str, tuple[float, float]]] = [
        ("indexes alone (no policy)", timed(lambda q: service.pipeline.indexes.match([q]), near)),
        (
            "service, local operator",
            timed(lambda q: service.matching.digests([q], principal=LOCAL_OPERATOR).matches, near),
        ),
        (
            "service, org platform (sharing)",
            timed(lambda q: service.matching.digests([q], principal=PLATFORM).matches, near),
        ),
    ]
    allow = store.create_list(NewList("allow", action=ListAction.ALLOW, thresholds={"pdq": 31}))
    store.add_entries(allow.id, [NewEntry("pdq", d.value) for d in near])
    service.pipeline.indexes.refresh(force=True)
    rows.append(
        (
            "... every query allowed (suppressed)",
            timed(lambda q: service.matching.digests([q], principal=PLATFORM).matches, near),
        )
    )
    service.sharing.update("acme-shared", review_radius={"pdq": 50}, principal=LOCAL_OPERATOR)
    service.pipeline.indexes.refresh(force=True)
    far = queries(40)
    rows.append(
        (
            "... review radius, no near-miss",
            timed(lambda q: service.matching.digests([q], principal=PLATFORM).matches, queries(80)),
        )
    )
    rows.append(
        (
            "... review radius, near-miss queued",
            timed(lambda q: service.matching.digests([q], principal=PLATFORM).matches, far),
        )
    )
    queued = len(store.review_items(limit=10 * args.queries))
    service.close()

    print(
        f"{args.entries} PDQ entries on SQLite, {args.queries} single-hash lookups, "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("| lookup path | median ms | p99 ms |\n|---|---:|---:|")
    for label, (median, p99) in rows:
        print(f"| {label} | {median:.2f} | {p99:.2f} |")
    print(f"(near-misses queued: {queued})")


if __name__ == "__main__":
    main()
