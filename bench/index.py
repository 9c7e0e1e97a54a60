"""Hamming range search at radius 31 over 256-bit PDQ hashes: hashdb's multi-index hash index
against a numpy brute-force scan and faiss ``IndexBinaryFlat``, in one run; then the start-up
load of hashes from SQLite (and PostgreSQL) and the bulk-import throughput.

    python -m bench.index                       # N = 1e5, 1e6, 1e7; random and clustered
    python -m bench.index --sizes 100000 --queries 200 --no-db --no-import

    python -m bench.index --exact --sizes 1000000,10000000 --no-db --no-import

``--exact`` benches the exact-match index for SHA-256 digests instead (build from 1e6-row
batches as the start-up load passes them, memory, query latency, single adds and removes)
against a Python dictionary of the same contents (what ``ExactIndex`` was before numpy), each
built in a fresh forked process so that resident growth is its own.

Queries are stored hashes with up to 31 random bits flipped (a planted neighbour). Recall is
the fraction of queries whose result set equals brute force's exactly (must be 100%).
Timings are noisy on a shared machine (the 2 cores here are shared with other jobs): compare
the columns of one run as ratios.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from hashdb.exchange import ExchangeFormat
from hashdb.identity import LOCAL_OPERATOR
from hashdb.index import ExactIndex, MultiIndexHashIndex
from hashdb.index.base import as_words
from hashdb.index.mih_scan import scan as _scan
from hashdb.matching.indexes import HashIndexes
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.store import open_store

RADIUS = 31
_SHARED: dict[str, object] = {}


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def make_data(kind: str, count: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        return rng.integers(0, 256, size=(count, 32), dtype=np.uint8)
    # Clustered worst case: clusters of ~1,000 near-duplicates (0-16 bits from their centre),
    # so that many hashes share substring keys and buckets are very uneven.
    centres = rng.integers(0, 256, size=(max(1, count // 1000), 32), dtype=np.uint8)
    data = centres[rng.integers(0, centres.shape[0], size=count)]
    flips = rng.integers(0, 17, size=count)
    bits = rng.integers(0, 256, size=(count, 16))
    for column in range(16):
        rows = np.flatnonzero(flips > column)
        np.bitwise_xor.at(
            data,
            (rows, bits[rows, column] // 8),
            (0x80 >> (bits[rows, column] % 8)).astype(np.uint8),
        )
    return data


def make_queries(data: np.ndarray, count: int, rng: np.random.Generator) -> list[bytes]:
    queries = []
    for row in rng.integers(0, data.shape[0], size=count):
        value = bytearray(data[row].tobytes())
        for bit in rng.choice(256, size=int(rng.integers(0, RADIUS + 1)), replace=False):
            value[bit // 8] ^= 0x80 >> (bit % 8)
        queries.append(bytes(value))
    return queries


def latencies(run: Callable[[bytes], object], queries: list[bytes]) -> tuple[float, float]:
    times = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def _process_batch(part: int) -> int:
    index = _SHARED["index"]
    assert isinstance(index, MultiIndexHashIndex)
    queries = _SHARED["queries"]
    assert isinstance(queries, list)
    half = len(queries) // 2
    chunk = queries[:half] if part == 0 else queries[half:]
    return sum(len(found) for found in index.query_many(chunk, RADIUS))


def bench_size(kind: str, count: int, args: argparse.Namespace) -> list[list[str]]:
    rng = np.random.default_rng(count + len(kind))
    data = make_data(kind, count, rng)
    ids = np.arange(1, count + 1, dtype=np.int64)
    queries = make_queries(data, args.queries, rng)
    batch = make_queries(data, args.batch, rng)
    rows: list[list[str]] = []
    base = f"{kind} {count:,}"

    # hashdb MIH
    before = rss_mb()
    start = time.perf_counter()
    index = MultiIndexHashIndex(256)
    index.add(ids, data)
    index.flush()
    build = time.perf_counter() - start
    resident = rss_mb() - before
    mih_sets = [set(index.query(q, RADIUS).ids.tolist()) for q in queries]
    p50, p99 = latencies(lambda q: index.query(q, RADIUS), queries)
    start = time.perf_counter()
    index.query_many(batch, RADIUS)
    qps1 = len(batch) / (time.perf_counter() - start)
    with ThreadPoolExecutor(2) as pool:
        half = len(batch) // 2
        start = time.perf_counter()
        list(pool.map(lambda part: index.query_many(part, RADIUS), [batch[:half], batch[half:]]))
        qps_threads = len(batch) / (time.perf_counter() - start)
    _SHARED["index"], _SHARED["queries"] = index, batch
    with multiprocessing.get_context("fork").Pool(2) as processes:
        processes.map(_process_batch, [0, 1])  # warm up (fork, page faults)
        start = time.perf_counter()
        processes.map(_process_batch, [0, 1])
        qps_procs = len(batch) / (time.perf_counter() - start)
    _SHARED.clear()
    rows.append(
        [
            base,
            "hashdb MIH",
            f"{build:.1f}",
            f"{index.memory_bytes() / count:.0f}",
            f"{resident / count * 1e6:.0f}",
            f"{p50:.2f}",
            f"{p99:.2f}",
            f"{qps1:,.0f}",
            f"{qps_threads:,.0f} / {qps_procs:,.0f}",
        ]
    )

    # numpy brute force (column-wise bitwise_count: the fastest plain-numpy scan)
    words = as_words(data, 32)
    few = queries[: args.slow_queries]
    scan_sets = [set((_scan(words, as_words([q], 32), RADIUS)[1] + 1).tolist()) for q in few]
    p50, p99 = latencies(lambda q: _scan(words, as_words([q], 32), RADIUS), few)
    rows.append(
        [
            base,
            "numpy scan",
            "0.0",
            "32",
            "-",
            f"{p50:.2f}",
            f"{p99:.2f}",
            f"{1000 / p50:,.0f}",
            "-",
        ]
    )

    # faiss IndexBinaryFlat: radius is strict "<", so 32 finds distances <= 31
    faiss.omp_set_num_threads(1)
    start = time.perf_counter()
    flat = faiss.IndexBinaryFlat(256)
    flat.add(data)
    faiss_build = time.perf_counter() - start

    def faiss_query(q: bytes) -> set[int]:
        _, _, labels = flat.range_search(np.frombuffer(q, dtype=np.uint8)[None], RADIUS + 1)
        return set((labels + 1).tolist())

    faiss_sets = [faiss_query(q) for q in few]
    p50, p99 = latencies(faiss_query, few)
    faiss_batch = np.frombuffer(b"".join(batch[: args.slow_queries * 4]), np.uint8).reshape(-1, 32)
    start = time.perf_counter()
    flat.range_search(faiss_batch, RADIUS + 1)
    fqps1 = faiss_batch.shape[0] / (time.perf_counter() - start)
    faiss.omp_set_num_threads(2)
    start = time.perf_counter()
    flat.range_search(faiss_batch, RADIUS + 1)
    fqps2 = faiss_batch.shape[0] / (time.perf_counter() - start)
    rows.append(
        [
            base,
            "faiss BinaryFlat",
            f"{faiss_build:.1f}",
            "32",
            "-",
            f"{p50:.2f}",
            f"{p99:.2f}",
            f"{fqps1:,.0f}",
            f"{fqps2:,.0f} (2 threads)",
        ]
    )

    agree = sum(1 for m, s, f in zip(mih_sets, scan_sets, faiss_sets, strict=False) if m == s == f)
    recall = f"{100 * agree / len(few):.0f}% ({agree}/{len(few)})"
    for row in rows:
        row.append(recall)
    return rows


class _DictExact:
    """The baseline: digest -> set of ids and id -> digest, as ``ExactIndex`` was before."""

    def __init__(self) -> None:
        self.ids_of: dict[bytes, set[int]] = {}
        self.hash_of: dict[int, bytes] = {}

    def add(self, ids: np.ndarray | list[int], hashes: np.ndarray | list[bytes]) -> None:
        self.remove(ids)
        for entry_id, value in zip(ids, hashes, strict=True):
            self.hash_of[int(entry_id)] = bytes(value)
            self.ids_of.setdefault(bytes(value), set()).add(int(entry_id))

    def remove(self, ids: np.ndarray | list[int]) -> None:
        for entry_id in ids:
            value = self.hash_of.pop(int(entry_id), None)
            if value is not None:
                holders = self.ids_of[value]
                holders.discard(int(entry_id))
                if not holders:
                    del self.ids_of[value]

    def query(self, value: bytes, radius: int) -> list[int]:
        return sorted(self.ids_of.get(value, ()))

    def query_many(self, values: list[bytes], radius: int) -> list[list[int]]:
        return [self.query(value, radius) for value in values]

    def flush(self) -> None:
        return None


def _exact_row(kind: str, count: int, queries: int, changes: int) -> list[str]:
    """Build one exact index of ``count`` SHA-256 digests (1% duplicated) and time it."""
    rng = np.random.default_rng(count)
    data = rng.integers(0, 256, size=(count, 32), dtype=np.uint8)
    copies = rng.integers(0, count, size=(count // 100, 2))
    data[copies[:, 0]] = data[copies[:, 1]]
    ids = np.arange(1, count + 1, dtype=np.int64)
    stored = [bytes(data[row]) for row in rng.integers(0, count, size=queries // 2)]
    missing = [
        bytes(row) for row in rng.integers(0, 256, size=(queries - len(stored), 32), dtype=np.uint8)
    ]
    probes = stored + missing
    new = rng.integers(0, 256, size=(changes, 32), dtype=np.uint8)
    gone = rng.choice(ids, size=changes, replace=False).tolist()
    before = rss_mb()
    start = time.perf_counter()
    index: ExactIndex | _DictExact = ExactIndex(256) if kind == "numpy" else _DictExact()
    for begin in range(0, count, 1_000_000):
        index.add(ids[begin : begin + 1_000_000], data[begin : begin + 1_000_000])
    index.flush()
    build = time.perf_counter() - start
    resident = (rss_mb() - before) * 1e6
    held = index.memory_bytes() / count if isinstance(index, ExactIndex) else float("nan")
    expected = {
        value: sorted(np.flatnonzero((data == np.frombuffer(value, np.uint8)).all(axis=1)) + 1)
        for value in stored[:20]
    }
    for value, want in expected.items():
        assert (
            list(
                index.query(value, 0)
                if isinstance(index, _DictExact)
                else index.query(value, 0).ids
            )
            == want
        )
    p50, p99 = latencies(lambda q: index.query(q, 0), probes)
    took = []
    for _ in range(5):  # the best of five batches: the first touches cold pages
        start = time.perf_counter()
        index.query_many(probes, 0)
        took.append(time.perf_counter() - start)
    batched = len(probes) / min(took)
    start = time.perf_counter()
    for offset in range(changes):
        index.add([count + 1 + offset], [bytes(new[offset])])
    add_us = (time.perf_counter() - start) / changes * 1e6
    start = time.perf_counter()
    for entry_id in gone:
        index.remove([entry_id])
    remove_us = (time.perf_counter() - start) / changes * 1e6
    name = "hashdb ExactIndex (numpy)" if kind == "numpy" else "Python dict (before)"
    return [
        f"sha256 {count:,}",
        name,
        f"{build:.1f}",
        "-" if held != held else f"{held:.0f}",
        f"{resident / count:.0f}",
        f"{p50 * 1000:.1f}",
        f"{p99 * 1000:.1f}",
        f"{batched:,.0f}",
        f"{add_us:.1f}",
        f"{remove_us:.1f}",
    ]


def bench_exact(count: int, args: argparse.Namespace) -> list[list[str]]:
    rows = []
    for kind in ("numpy", "dict"):
        with multiprocessing.get_context("fork").Pool(1) as pool:
            rows.append(pool.apply(_exact_row, (kind, count, args.queries, args.changes)))
    return rows


EXACT_HEADER = [
    "data, N",
    "index",
    "build s",
    "bytes/hash",
    "RSS bytes/hash",
    "p50 µs",
    "p99 µs",
    "batched q/s (1 core)",
    "single add µs",
    "single remove µs",
]


def bench_db_load(count: int, postgres: str | None, postgres_count: int) -> list[list[str]]:
    rows = []
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "load.sqlite"
        store = open_store(str(path))
        list_id = store.ensure_list("load").id
        store.close()
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA cache_size = -262144")
        connection.execute("BEGIN")
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        step = 1_000_000
        for begin in range(0, count, step):
            block = rng.integers(0, 256, size=(min(step, count - begin), 32), dtype=np.uint8)
            block = block[np.lexsort(block.T[::-1])]
            connection.executemany(
                "INSERT INTO entries (list_id, algorithm, hash, added_at) VALUES (?, 'pdq', ?, ?)",
                ((list_id, row.tobytes(), now) for row in block),
            )
        connection.execute("COMMIT")
        connection.close()
        rows.append(_time_load("SQLite", str(path), count))
    if postgres:
        rows.append(_postgres_load(postgres, postgres_count, rng))
    return rows


def _time_load(backend: str, url: str, count: int) -> list[str]:
    store = open_store(url)
    before = rss_mb()
    start = time.perf_counter()
    matcher = HashIndexes(store)
    matcher.refresh(force=True)
    took = time.perf_counter() - start
    assert matcher.size("pdq") == count, matcher.size("pdq")
    store.close()
    return [
        backend,
        f"{count:,}",
        f"{took:.1f}",
        f"{count / took:,.0f}",
        f"{rss_mb() - before:,.0f}",
    ]


def _postgres_load(url: str, count: int, rng: np.random.Generator) -> list[str]:
    import psycopg

    from hashdb.store.postgres import engine_url

    schema = f"hashdb_bench_{os.getpid()}"
    plain = engine_url(url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options=-csearch_path%3D{schema}"
    try:
        store = open_store(scoped)
        list_id = store.ensure_list("load").id
        store.close()
        with psycopg.connect(plain, options=f"-csearch_path={schema}") as connection:
            with (
                connection.cursor() as cursor,
                cursor.copy("COPY entries (list_id, algorithm, hash, added_at) FROM STDIN") as copy,
            ):
                now = datetime.now(UTC)
                for begin in range(0, count, 1_000_000):
                    block = rng.integers(
                        0, 256, size=(min(1_000_000, count - begin), 32), dtype=np.uint8
                    )
                    for row in block:
                        copy.write_row((list_id, "pdq", row.tobytes(), now))
            connection.commit()
        return _time_load("PostgreSQL", scoped, count)
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def bench_import(count: int) -> list[list[str]]:
    rng = np.random.default_rng(11)
    text = io.StringIO()
    text.write("algorithm,hash,label,note\n")
    for row in rng.integers(0, 256, size=(count, 32), dtype=np.uint8):
        text.write(f"pdq,{row.tobytes().hex()},group-a,\n")
    body = text.getvalue()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        service = HashDB(Settings(db=str(Path(folder) / "import.sqlite")))
        service.store.ensure_list("imported")
        start, cpu = time.perf_counter(), time.process_time()
        report = service.exchange.import_stream(
            io.StringIO(body), ExchangeFormat.CSV, list_name="imported", principal=LOCAL_OPERATOR
        )
        took, cpu_took = time.perf_counter() - start, time.process_time() - cpu
        assert report.total("created") == count
        rows.append(
            [
                "hashdb import (CSV, SQLite)",
                f"{count:,}",
                f"{took:.1f}",
                f"{count / took:,.0f}",
                f"{count / cpu_took:,.0f}",
            ]
        )
        start, cpu = time.perf_counter(), time.process_time()
        service.exchange.import_stream(
            io.StringIO(body), ExchangeFormat.CSV, list_name="imported", principal=LOCAL_OPERATOR
        )
        took, cpu_took = time.perf_counter() - start, time.process_time() - cpu
        rows.append(
            [
                "re-import (all duplicates)",
                f"{count:,}",
                f"{took:.1f}",
                f"{count / took:,.0f}",
                f"{count / cpu_took:,.0f}",
            ]
        )
        service.close()
        # The floor: raw sqlite3 executemany of the same rows into the same table and indexes.
        floor = sqlite3.connect(Path(folder) / "import.sqlite", isolation_level=None)
        values = sorted(rng.integers(0, 256, size=(count, 32), dtype=np.uint8).tolist())
        start, cpu = time.perf_counter(), time.process_time()
        floor.execute("BEGIN IMMEDIATE")
        floor.executemany(
            "INSERT INTO entries (list_id, algorithm, hash, label, added_at) "
            "VALUES (1, 'pdq', ?, 'group-a', '2026-01-01 00:00:00.000000')",
            ((bytes(v),) for v in values),
        )
        floor.execute("COMMIT")
        took, cpu_took = time.perf_counter() - start, time.process_time() - cpu
        rows.append(
            [
                "raw sqlite3 executemany (floor)",
                f"{count:,}",
                f"{took:.1f}",
                f"{count / took:,.0f}",
                f"{count / cpu_took:,.0f}",
            ]
        )
        floor.close()
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--kinds", default="random,clustered")
    parser.add_argument("--queries", type=int, default=300, help="single queries per size")
    parser.add_argument(
        "--slow-queries", type=int, default=40, help="single queries for the scans (slow at 1e7)"
    )
    parser.add_argument("--batch", type=int, default=2000, help="queries in the batched run")
    parser.add_argument("--db-size", type=int, default=10_000_000)
    parser.add_argument("--no-db", action="store_true", help="skip the start-up load")
    parser.add_argument("--postgres", default=None, help="also time a PostgreSQL load (URL)")
    parser.add_argument("--postgres-size", type=int, default=1_000_000)
    parser.add_argument("--import-size", type=int, default=200_000)
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument(
        "--exact", action="store_true", help="bench the SHA-256 exact index instead of PDQ"
    )
    parser.add_argument(
        "--changes", type=int, default=100_000, help="single adds and removes (--exact)"
    )
    args = parser.parse_args()
    print(
        f"# {platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, numpy {np.__version__}, faiss {faiss.__version__}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}"
    )
    rows: list[list[str]] = []
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    if args.exact:
        for size in sizes:
            rows += bench_exact(size, args)
            print(table(EXACT_HEADER, rows[-2:]), flush=True)
        print()
        print(table(EXACT_HEADER, rows))
    else:
        for size in sizes:
            for kind in args.kinds.split(","):
                rows += bench_size(kind, size, args)
                print(table(HEADER, rows[-3:]), flush=True)
        print()
        print(table(HEADER, rows))
    if not args.no_db:
        print()
        print(
            table(
                ["backend", "hashes", "start-up s", "hashes/s", "RSS MB"],
                bench_db_load(args.db_size, args.postgres, args.postgres_size),
            )
        )
    if not args.no_import:
        print()
        print(
            table(
                ["import", "rows", "s", "rows/s (wall)", "rows/s (CPU)"],
                bench_import(args.import_size),
            )
        )


HEADER = [
    "data, N",
    "index",
    "build s",
    "bytes/hash",
    "RSS bytes/hash",
    "p50 ms",
    "p99 ms",
    "batched q/s (1 core)",
    "q/s 2 threads / 2 procs",
    "recall",
]

if __name__ == "__main__":
    main()
