"""Load test of the real HTTP server: uploads and hash-only lookups against 100k PDQ entries.

    python -m bench.api_load [--entries 100000] [--uploads 40] [--lookup-batches 20]

Starts ``hashdb serve`` as a subprocess on 127.0.0.1 (a free port) over a fresh SQLite
database loaded with random PDQ entries plus the hashes of the test images, then drives it from
this process with an asyncio httpx client (bounded request counts, so a run takes minutes):

- ``POST /v1/match`` with 1920x1080 JPEGs that match plainly (their hashes are on the list)
  and that match nothing (the list's robust stages run too), and ~100 KB thumbnails that match
  nothing: p50/p99 latency one request at a time, and uploads/s with ``--concurrency`` in
  flight, each body encoded once beforehand;
- the same uploads one at a time from a raw HTTP/1.1 client (each request written out once,
  the answer read by hand): the server's latency without the client's own CPU, about 2 ms
  per 425 KB upload for httpx, taken on the same two cores;
- the bare decode + hash time of the same images, measured in this process in the same run,
  so the web layer's share is a ratio, not an absolute that depends on the machine's load;
- ``POST /v1/lookup`` with batches of ``--batch`` hash-only queries: hashes/s.

Prints a markdown table. Other jobs sharing the cores make absolute timings noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from bench.server import machine_line, rss_mib, served
from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import NewEntry
from hashdb.testing.images import scene


def _jpeg(seed: int, size: tuple[int, int], quality: int, grain: float = 10.0) -> bytes:
    """A synthetic scene with sensor-like grain, so files are photo-sized (1080p ~500 KB)."""
    rng = np.random.default_rng(seed)
    pixels = np.asarray(scene(seed, size)).astype(np.int16)
    pixels += rng.normal(0, grain, pixels.shape).astype(np.int16)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def load_database(db: str, entries: int, known: list[bytes]) -> None:
    """Random PDQ entries (written straight to the store: fixture data, not audited adds)
    plus every hash of the known images through the service."""
    service = HashDB(Settings(db=db))
    try:
        hash_list = service.store.ensure_list("bench")
        rng = np.random.default_rng(7)
        values = rng.integers(0, 256, (entries, 32), dtype=np.uint8)
        for start in range(0, entries, 20_000):
            service.store.add_entries(
                hash_list.id,
                [
                    NewEntry("pdq", bytes(row), quality=100)
                    for row in values[start : start + 20_000]
                ],
            )
        for data in known:
            service.adding.media(
                "bench",
                data,
                EntryMetadata(label="known", added_by="bench"),
                principal=LOCAL_OPERATOR,
            )
    finally:
        service.close()


_BOUNDARY = "hashdb-bench-boundary"
FORM_TYPE = f"multipart/form-data; boundary={_BOUNDARY}"


def multipart_upload(data: bytes) -> bytes:
    """The body of a one-file upload, encoded once: the timings are the server's, not the
    time a Python client takes to build the form (about 1 ms of CPU for 500 KB with httpx)."""
    head = (
        f"--{_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="upload.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    return head.encode() + data + f"\r\n--{_BOUNDARY}--\r\n".encode()


def bare_ms(images: list[bytes], work: Callable[[bytes], object], repeat: int = 2) -> list[float]:
    samples = []
    for data in images:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            work(data)
            best = min(best, time.perf_counter() - start)
        samples.append(best * 1000)
    return samples


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


async def timed_posts(
    client: httpx.AsyncClient, requests: Sequence[Mapping[str, Any]], concurrency: int
) -> tuple[list[float], float]:
    """Send every request with at most ``concurrency`` in flight: latencies (ms), wall time."""
    semaphore = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(kwargs: Mapping[str, Any]) -> None:
        async with semaphore:
            start = time.perf_counter()
            response = await client.post(**kwargs)
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(one(kwargs) for kwargs in requests))
    return latencies, time.perf_counter() - started


async def raw_posts(base: str, key: str, uploads: Sequence[bytes]) -> tuple[list[float], float]:
    """Each multipart body posted to ``/v1/match`` in turn over one kept-alive connection:
    latencies (ms) and the client's CPU per upload (ms)."""
    url = httpx.URL(base)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    head = f"POST /v1/match HTTP/1.1\r\nHost: {url.host}\r\nAuthorization: Bearer {key}\r\n"
    requests = [
        f"{head}Content-Type: {FORM_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
        for body in uploads
    ]
    latencies = []
    cpu = time.process_time()
    try:
        for request in requests:
            start = time.perf_counter()
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - start) * 1000)
            if b" 200 " not in status:
                raise RuntimeError(status.decode())
    finally:
        writer.close()
    return latencies, (time.process_time() - cpu) / len(requests) * 1000


async def drive(
    args: argparse.Namespace, base: str, key: str, service: HashDB
) -> list[tuple[str, str]]:
    """``service`` is this process's own HashDB on the served database: the bare baseline."""
    rows: list[tuple[str, str]] = []
    headers = {"Authorization": f"Bearer {key}"}
    big = [_jpeg(seed, (1920, 1080), 85) for seed in range(args.images)]
    thumbs = [_jpeg(seed, (800, 600), 85) for seed in range(args.images)]
    corpora = (
        # Known: their hashes are on the list, so each matches plainly (the floor's case);
        # unrelated: nothing matches, so the list's robust stages run too (their added cost).
        ("1080p JPEG, known", big[: args.known]),
        ("1080p JPEG, unrelated", big[args.known :]),
        ("thumbnail, unrelated", thumbs[args.known :]),
    )
    limits = httpx.Limits(max_connections=args.concurrency * 2)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120, limits=limits) as c:
        for name, corpus in corpora:
            size_kb = statistics.mean(len(data) for data in corpus) / 1024
            bodies = [multipart_upload(data) for data in corpus]
            posted = [bodies[i % len(bodies)] for i in range(args.uploads)]
            uploads = [
                {"url": "/v1/match", "content": body, "headers": {"Content-Type": FORM_TYPE}}
                for body in posted
            ]
            await timed_posts(c, uploads[: len(corpus)], 1)  # warm up

            def match_as_operator(data: bytes) -> object:
                return service.matching.media(data, principal=LOCAL_OPERATOR)

            bare_before = bare_ms(corpus, service.media.hash_bytes)
            matched_before = bare_ms(corpus, match_as_operator)
            cpu = time.process_time()
            serial, _ = await timed_posts(c, uploads, 1)
            client_cpu = (time.process_time() - cpu) / len(uploads) * 1000
            raw, raw_cpu = await raw_posts(base, key, posted)
            bare_after = bare_ms(corpus, service.media.hash_bytes)
            matched_after = bare_ms(corpus, match_as_operator)
            bare = statistics.median(bare_before + bare_after)
            bare_match = statistics.median(matched_before + matched_after)
            _, wall = await timed_posts(c, uploads, args.concurrency)
            p50 = statistics.median(serial)
            rows += [
                (f"{name} ({size_kb:.0f} KB) bare decode+hash p50, this process", f"{bare:.1f} ms"),
                (
                    f"{name} upload p50 / p99, one at a time",
                    f"{p50:.1f} / {percentile(serial, 99):.1f} ms",
                ),
                (f"{name} bare decode+hash+match p50, this process", f"{bare_match:.1f} ms"),
                (f"{name} upload p50 / bare decode+hash p50", f"{p50 / bare:.2f}x"),
                (f"{name} upload p50 / bare decode+hash+match p50", f"{p50 / bare_match:.2f}x"),
                (f"{name} uploads/s, {args.concurrency} in flight", f"{len(uploads) / wall:.0f}"),
                (
                    f"{name} upload p50 / p99, one at a time, raw HTTP client",
                    f"{statistics.median(raw):.1f} / {percentile(raw, 99):.1f} ms",
                ),
                (
                    f"{name} upload p50, raw HTTP client / bare decode+hash p50",
                    f"{statistics.median(raw) / bare:.2f}x",
                ),
                (
                    f"{name} client CPU per upload, httpx / raw",
                    f"{client_cpu:.1f} / {raw_cpu:.1f} ms",
                ),
            ]
        rng = np.random.default_rng(11)
        batches = [
            {
                "url": "/v1/lookup",
                "json": {
                    "hashes": [
                        {"algorithm": "pdq", "value": bytes(row).hex()}
                        for row in rng.integers(0, 256, (args.batch, 32), dtype=np.uint8)
                    ]
                },
            }
            for _ in range(args.lookup_batches)
        ]
        await timed_posts(c, batches[:1], 1)
        serial, wall_serial = await timed_posts(c, batches, 1)
        _, wall = await timed_posts(c, batches, args.concurrency)
        hashes = args.batch * len(batches)
        rows += [
            (
                f"lookup batch of {args.batch} p50 / p99",
                f"{statistics.median(serial):.0f} / {percentile(serial, 99):.0f} ms",
            ),
            ("lookup hashes/s, one batch at a time", f"{hashes / wall_serial:,.0f}"),
            (f"lookup hashes/s, {args.concurrency} batches in flight", f"{hashes / wall:,.0f}"),
        ]
        single = [{"url": "/v1/lookup", "json": {"hashes": batches[0]["json"]["hashes"][:1]}}] * 200  # type: ignore[index]
        serial, _ = await timed_posts(c, single, 1)
        rows.append(
            (
                "lookup of 1 hash p50 / p99",
                f"{statistics.median(serial):.1f} / {percentile(serial, 99):.1f} ms",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=8, help="distinct images per kind")
    parser.add_argument("--known", type=int, default=4, help="of them, how many are on the list")
    parser.add_argument("--uploads", type=int, default=40, help="uploads per kind and phase")
    parser.add_argument("--lookup-batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite")
        started = time.perf_counter()
        load_database(
            db, args.entries, [_jpeg(seed, (1920, 1080), 85) for seed in range(args.known)]
        )
        load_s = time.perf_counter() - started
        with served(db, workers=args.workers) as server:
            service = HashDB(Settings(db=db))
            service.pipeline.indexes.refresh(force=True)
            try:
                rows = asyncio.run(drive(args, server.base, server.key, service))
            finally:
                service.close()
            rows.append(("server resident memory after the run", f"{rss_mib(server.pid):.0f} MiB"))

    print(
        f"{machine_line('bench.api_load')}; "
        f"{args.entries:,} PDQ entries (loaded in {load_s:.0f} s), {args.workers} worker(s)"
    )
    print("\n| measure | value |\n|---|---:|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
