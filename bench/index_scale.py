"""The PDQ index at 10 million hashes: start-up load, memory, single queries/s on 2 cores.

    python -m bench.index_scale [--hashes 10000000] [--queries 4000]

Fills a SQLite database with random PDQ entries (cached in ``bench/out/``), then in one run:

* start-up: every live hash read from the database (``live_hash_arrays``, as the matcher
  loads at start) into a :class:`~hashdb.index.MultiIndexHashIndex`, merged and ready;
* memory: the index's own arrays (``memory_bytes``) and the process's resident growth;
* single queries at radius 31 (stored hashes with up to 31 bits flipped): p50/p99 latency
  one at a time, and queries/s with two forked processes each sending single queries, as
  two API workers on the 2 cores would.

Prints each figure beside its floor. Wall-clock figures move with the machine's load (printed
with them); query CPU time is printed too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np

from bench.index import make_queries, rss_mb
from bench.server import machine_line
from hashdb.index import MultiIndexHashIndex
from hashdb.store import open_store
from hashdb.store.plain_import import PlainRows

OUT = Path(__file__).parent / "out"
RADIUS = 31
FLOOR_QPS = 2_000
FLOOR_MEMORY_GIB = 0.8
FLOOR_START_S = 30.0
_SHARED: dict[str, object] = {}


def database(count: int) -> tuple[Path, np.ndarray]:
    """A SQLite database of ``count`` random PDQ entries (made once), and some of its hashes."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"index-scale-{count}.sqlite"
    rng = np.random.default_rng(7)
    step = 1_000_000
    sample = []
    fresh = not path.exists()
    store = open_store(str(path))
    try:
        hash_list = store.ensure_list("scale")
        for begin in range(0, count, step):
            block = rng.integers(0, 256, size=(min(step, count - begin), 32), dtype=np.uint8)
            sample.append(block[:1000])
            if fresh:
                with store.transaction():
                    store.import_plain(
                        hash_list.id,
                        PlainRows("pdq", block, [{}], np.zeros(len(block), dtype=np.intp)),
                    )
        if fresh:
            with store.transaction():
                store.analyze()
    finally:
        store.close()
    return path, np.concatenate(sample)


def _single_queries(part: int) -> tuple[int, float]:
    index = _SHARED["index"]
    queries = _SHARED["queries"]
    assert isinstance(index, MultiIndexHashIndex) and isinstance(queries, list)
    mine = queries[part::2]
    started = time.thread_time()
    found = sum(len(index.query(query, RADIUS)) for query in mine)
    return found, time.thread_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hashes", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=4000)
    args = parser.parse_args()
    path, sample = database(args.hashes)

    store = open_store(str(path))
    before = rss_mb()
    started = time.perf_counter()
    index = MultiIndexHashIndex(256)
    for ids, values in store.live_hash_arrays("pdq"):
        index.add(ids, values)
    index.flush()
    start_s = time.perf_counter() - started
    store.close()
    resident_gib = (rss_mb() - before) * 1e6 / 2**30
    held_gib = index.memory_bytes() / 2**30
    assert len(index) == args.hashes, len(index)

    rng = np.random.default_rng(11)
    queries = make_queries(sample, args.queries, rng)
    for query in queries[:100]:  # warm up
        index.query(query, RADIUS)
    times = []
    cpu = time.thread_time()
    for query in queries:
        begun = time.perf_counter()
        index.query(query, RADIUS)
        times.append((time.perf_counter() - begun) * 1000)
    cpu_per_query = (time.thread_time() - cpu) / len(queries)
    _SHARED["index"], _SHARED["queries"] = index, queries
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_single_queries, [0, 1])  # warm up: fork, page faults
        started = time.perf_counter()
        results = pool.map(_single_queries, [0, 1])
        qps = len(queries) / (time.perf_counter() - started)
    _SHARED.clear()
    cpu_qps = len(queries) / sum(cpu for _found, cpu in results) * 2

    print(
        f"{machine_line('bench.index_scale')}; {args.hashes:,} random PDQ hashes, radius {RADIUS}"
    )
    print("\n| measure | value | floor |\n|---|---:|---:|")
    print(
        f"| start-up: load from SQLite into the index | {start_s:.1f} s "
        f"| <= {FLOOR_START_S:.0f} s |"
    )
    print(f"| index memory (its arrays) | {held_gib:.2f} GiB | <= {FLOOR_MEMORY_GIB} GiB |")
    print(f"| resident growth of the process | {resident_gib:.2f} GiB | |")
    print(
        f"| single query p50 / p99, one at a time | {np.percentile(times, 50):.2f} / "
        f"{np.percentile(times, 99):.2f} ms | |"
    )
    print(f"| single queries/s, 2 processes | {qps:,.0f} | >= {FLOOR_QPS:,} |")
    print(f"| single queries per CPU-second x 2 cores | {cpu_qps:,.0f} | >= {FLOOR_QPS:,} |")
    print(f"| single query CPU, one at a time | {cpu_per_query * 1000:.2f} ms | |")
    print(f"\n(load average at the end: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
