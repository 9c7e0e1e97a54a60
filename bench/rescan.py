"""Rescan throughput against the single-image cost, and rematch of stored media hashes.

    python -m bench.rescan [--images 10000] [--processes 1,2] [--sample 200]
                           [--stored 1000000] [--entries 10000] [--skip-scan] [--skip-rematch]

Scan: a corpus of mixed-size JPEGs in nested folders (generated once into bench/out/) is
rescanned with 1 and 2 worker processes; the decode + hash + match cost of one image is
measured in this process over a sample of the same corpus, in the same run, so efficiency =
measured files/s / (processes / per-image seconds). Rematch: ``--stored`` random PDQ hashes
in the media-hash store against ``--entries`` new entries, ``--entries // 100`` of them
near copies (<= 24 bits) of stored files that must all be found. Prints Markdown tables.
Timings are noisy on shared machines: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from hashdb.identity import LOCAL_OPERATOR
from hashdb.rescan.engine_local import LocalEngine
from hashdb.rescan.job import RescanRequest
from hashdb.rescan.report import StreamSink
from hashdb.rescan.sources import classify
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import NewEntry, schema
from hashdb.testing.images import scene

OUT = Path(__file__).resolve().parent / "out"
#: (width, height, share of the corpus)
SIZES = [((320, 240), 0.30), ((640, 480), 0.30), ((1280, 720), 0.25), ((1920, 1080), 0.15)]
BASES_PER_SIZE = 12


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def _size_of(number: int) -> tuple[int, int]:
    point = (number * 0.6180339887) % 1.0
    for size, share in SIZES:
        if point < share:
            return size
        point -= share
    return SIZES[-1][0]


def _make_files(args: tuple[Path, int, int]) -> int:
    root, start, stop = args
    bases: dict[tuple[tuple[int, int], int], Image.Image] = {}
    rng = np.random.default_rng(start)
    for number in range(start, stop):
        size = _size_of(number)
        key = (size, number % BASES_PER_SIZE)
        if key not in bases:
            bases[key] = scene(1000 + hash(key) % 10_000, size)
        image = bases[key].copy()
        draw = ImageDraw.Draw(image)
        x, y = int(rng.integers(0, size[0] - 40)), int(rng.integers(0, size[1] - 40))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.rectangle([x, y, x + size[0] // 5, y + size[1] // 5], fill=colour)
        folder = root / f"d{number // 1000:03d}" / f"e{number // 100 % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(rng.integers(60, 96)))
        (folder / f"img{number:06d}.jpg").write_bytes(buffer.getvalue())
    return stop - start


def corpus(images: int) -> Path:
    root = OUT / f"rescan-corpus-{images}"
    marker = OUT / f"rescan-corpus-{images}.complete"
    if marker.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    step = 250
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        list(
            pool.map(
                _make_files, [(root, s, min(s + step, images)) for s in range(0, images, step)]
            )
        )
    marker.write_text("ok\n")
    return root


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.jpg"))


def per_image_seconds(service: HashDB, files: list[Path], sample: int) -> float:
    chosen = files[:: max(1, len(files) // sample)][:sample]
    for path in chosen[:5]:
        service.matching.file(path, principal=LOCAL_OPERATOR)  # warm up
    started = time.perf_counter()
    for path in chosen:
        service.matching.file(path, principal=LOCAL_OPERATOR)
    return (time.perf_counter() - started) / len(chosen)


def bench_scan(args: argparse.Namespace) -> None:
    root = corpus(args.images)
    inputs = [str(root)]
    if args.folders:  # scan only the first N folders of 1,000 images (a scaled-down run)
        inputs = [str(path) for path in sorted(root.glob("d*"))[: args.folders]]
    files = [path for folder in inputs for path in _files(Path(folder))]
    db = OUT / "rescan-bench.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    service = HashDB(Settings(db=str(db)))
    rng = np.random.default_rng(1)
    service.adding.hex(
        "bench",
        "pdq",
        [bytes(v).hex() for v in rng.integers(0, 256, (1000, 32), dtype=np.uint8)],
        EntryMetadata(added_by="bench"),
        principal=LOCAL_OPERATOR,
    )
    for path in files[:: len(files) // 10][:10]:
        service.adding.media(
            "bench", path.read_bytes(), EntryMetadata(added_by="bench"), principal=LOCAL_OPERATOR
        )
    before = per_image_seconds(service, files, args.sample)
    rows = []
    for processes in args.processes:
        request = RescanRequest(
            inputs=classify(inputs),
            cwd=str(OUT),
            output=str(OUT / f"rescan-report-{processes}.jsonl"),
        )
        load = _load()
        started = time.perf_counter()
        summary = service.rescans.start(request, principal=LOCAL_OPERATOR).run(
            LocalEngine(processes), StreamSink(io.StringIO())
        )
        elapsed = time.perf_counter() - started
        rows.append((processes, summary.counters.files, summary.counters.matched, elapsed, load))
    after = per_image_seconds(service, files, args.sample)
    cost = (before + after) / 2
    print(
        f"\nper-image decode+hash+match, one process: {before * 1000:.1f} ms before the scans, "
        f"{after * 1000:.1f} ms after (mean {cost * 1000:.1f} ms = {1 / cost:.0f} images/s)\n"
    )
    print(
        "| processes | files | matched | wall s | files/s | ideal files/s | efficiency "
        "| load 1/5 min |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    base_rate = None
    for processes, count, matched, elapsed, load in rows:
        rate = count / elapsed
        ideal = processes / cost
        base_rate = base_rate or rate / processes
        print(
            f"| {processes} | {count} | {matched} | {elapsed:.1f} | {rate:.1f} | {ideal:.1f} | "
            f"{rate / ideal:.0%} | {load} |"
        )
    if len(rows) > 1:
        first = rows[0][1] / rows[0][3]
        last = rows[-1][1] / rows[-1][3]
        print(f"\nscaling {rows[0][0]} -> {rows[-1][0]} processes: {last / first:.2f}x")
    service.close()


def bench_rematch(args: argparse.Namespace) -> None:
    db = OUT / "rematch-bench.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    service = HashDB(Settings(db=str(db)))
    store = service.store
    rng = np.random.default_rng(7)
    stored = rng.integers(0, 256, (args.stored, 32), dtype=np.uint8)
    load_started = time.perf_counter()
    engine = store.engine  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    batch = 50_000
    with engine.begin() as connection:
        for start in range(0, args.stored, batch):
            stop = min(start + batch, args.stored)
            connection.execute(
                schema.scanned_media.insert(),
                [
                    {
                        "id": i + 1,
                        "location": f"/srv/media/{i // 1000:04d}/{i:08d}.jpg",
                        "size_bytes": 100_000,
                        "mtime_ns": 0,
                        "sha256": None,
                        "format": "JPEG",
                        "width": 1280,
                        "height": 720,
                        "job_id": None,
                        "scanned_at": now,
                    }
                    for i in range(start, stop)
                ],
            )
            connection.execute(
                schema.scanned_hashes.insert(),
                [
                    {
                        "media_id": i + 1,
                        "algorithm": "pdq",
                        "hash": bytes(stored[i]),
                        "quality": 100,
                        "position_ms": None,
                    }
                    for i in range(start, stop)
                ],
            )
    fill = time.perf_counter() - load_started
    planted = {
        int(i) for i in rng.choice(args.stored, size=max(1, args.entries // 100), replace=False)
    }
    entries = []
    for index in sorted(planted):
        value = bytearray(stored[index].tobytes())
        for bit in rng.choice(256, size=int(rng.integers(0, 25)), replace=False):
            value[bit // 8] ^= 1 << (7 - bit % 8)
        entries.append(bytes(value))
    entries += [
        bytes(v) for v in rng.integers(0, 256, (args.entries - len(entries), 32), dtype=np.uint8)
    ]
    since = datetime.now(UTC)
    with store.transaction():
        hash_list = store.ensure_list("new")
        store.add_entries(hash_list.id, [NewEntry("pdq", value, quality=100) for value in entries])
    load = _load()
    started = time.perf_counter()
    report = service.rescans.rematch(since, principal=LOCAL_OPERATOR)
    elapsed = time.perf_counter() - started
    found = {int(hit.media.location.rsplit("/", 1)[1].split(".")[0]) for hit in report.hits}
    missing = planted - found
    print(f"\nmedia-hash store filled in {fill:.1f} s (setup, not timed below)\n")
    print(
        "| stored media hashes | new entries | planted near copies | files matched | missed "
        "| rematch s | load 1/5 min |"
    )
    print("|---:|---:|---:|---:|---:|---:|---|")
    print(
        f"| {args.stored:,} | {report.new_entries:,} | {len(planted)} | {len(report.hits)} | "
        f"{len(missing)} | {elapsed:.1f} | {load} |"
    )
    service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument(
        "--processes", type=lambda s: [int(p) for p in s.split(",")], default=[1, 2]
    )
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--folders", type=int, default=0, help="scan only N of the folders")
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--skip-rematch", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(
        f"# bench.rescan — {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {_load()}"
    )
    if not args.skip_scan:
        bench_scan(args)
    if not args.skip_rematch:
        bench_rematch(args)


if __name__ == "__main__":
    main()
