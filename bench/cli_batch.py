"""Throughput of one ``hashdb match --json`` call over a large batch, beside its floor.

    python -m bench.cli_batch [--known 300] [--queries 1000] [--edited 0.3] [--workers N]

A fresh SQLite database gets ``--known`` pictures (the classic kinds and symbols of the
robustness bench's dev split) in one list in mode ``robust``, with one ``hashdb add`` call.
Then one ``hashdb match --json`` call scores ``--queries`` files: a share ``--edited`` of them
edited copies of the knowns (each known under the next edit family of
``hashdb.testing.robustness``), the rest unrelated pictures. The table gives queries/s (wall
clock of the whole command, start-up included) beside the floor of 60/s on 2 cores, the CPU
time of the command and queries per CPU-second (with ``--workers 1`` only: worker processes
are not its children; on a busy machine this is the better guide, a quiet 2-core machine
reaching about twice it with 2 workers), how many edited copies matched and how many
unrelated pictures did (a false flag). Generated files are cached in
``bench/out/cli-batch-v2``; the machine's load is printed with the figure, and how fast two
processes run side by side against one alone (a fixed piece of OpenCV work, just before the
match): on a virtual machine whose two cores share a busy host, two workers gain less than
twice one.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image

from bench import robustness_cases as cases
from hashdb.testing import robustness as data
from hashdb.testing import symbols

HASHDB = str(Path(sys.executable).with_name("hashdb"))
OUT = Path(__file__).parent / "out" / "cli-batch-v2"
SPLIT = symbols.SPLITS["dev"]
FLOOR = 60.0


def _write(target: Path, blob: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    partial.write_bytes(blob)
    partial.replace(target)


def _known(item: cases.Known) -> tuple[Path, Path]:
    """The known picture and its edited copy (the edit family rotates with the index)."""
    family = data.FAMILIES[item.index % len(data.FAMILIES)]
    strength = family.strengths[item.index % len(family.strengths)]
    picture = OUT / "known" / f"{item.index:04d}.png"
    edited = OUT / "edited" / f"{item.index:04d}-{family.name}-{strength}.jpg"
    if not picture.exists() or not edited.exists():
        image = item.image()
        _write(picture, _png(image))
        _write(edited, data.transformed(image, family.name, strength, item.index))
    return picture, edited


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _unrelated(index: int, known_count: int) -> Path:
    target = OUT / "unrelated" / f"{known_count}-{index:05d}.jpg"
    if not target.exists():
        _, image = cases.distractor(index, known_count, SPLIT)
        _write(target, data.encode(image, 85))
    return target


def _busy(_: int = 0) -> float:
    """Seconds a fixed piece of the robust stages' kind of work takes (blurs and ORB on a
    512-pixel picture)."""
    import cv2
    import numpy as np

    cv2.setNumThreads(1)
    picture = cv2.GaussianBlur(
        np.random.default_rng(7).integers(0, 256, (512, 512), dtype=np.uint8), (5, 5), 2.0
    )
    orb = cv2.ORB_create(1500)  # type: ignore[attr-defined]
    start = time.perf_counter()
    for _ in range(40):
        cv2.GaussianBlur(picture.astype(np.float32), (5, 5), 1.0)
        orb.detectAndCompute(picture, None)
    return time.perf_counter() - start


def _two_at_once() -> float:
    """How fast each of two processes runs the same work side by side, as a share of one
    process alone: 1.0 on two free cores; less where the cores are shared (a virtual
    machine's two vCPUs on a busy host), which bounds what two workers can gain."""
    # Fresh interpreters: a forked child of a process that has used OpenCV's threads may hang.
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        alone = min(pool.submit(_busy).result() for _ in range(2))
        side_by_side = max(pool.map(_busy, range(2)))
    return alone / side_by_side


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--known", type=int, default=300, help="pictures in the robust list")
    parser.add_argument("--queries", type=int, default=1000, help="files in the match call")
    parser.add_argument("--edited", type=float, default=0.3, help="share of edited knowns")
    parser.add_argument("--workers", type=int, help="pass --workers N to hashdb match")
    args = parser.parse_args()

    items = cases.knowns(args.known, SPLIT)
    edited_count = min(len(items), round(args.queries * args.edited))
    unrelated_count = args.queries - edited_count
    with ProcessPoolExecutor(2) as pool:
        pairs = list(pool.map(_known, items, chunksize=8))
        unrelated = list(
            pool.map(
                _unrelated, range(unrelated_count), [args.known] * unrelated_count, chunksize=32
            )
        )
    edited = [copy for _, copy in pairs[:edited_count]]
    # Edited copies and unrelated pictures interleaved, as a real batch would mix them.
    files = [
        str(path) for path in sorted(edited + unrelated, key=lambda p: zlib.crc32(p.name.encode()))
    ]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HASHDB_DB": str(Path(tmp) / "batch.sqlite")}
        subprocess.run([HASHDB, "create-list", "known"], env=env, check=True, capture_output=True)
        start = time.perf_counter()
        # Exit 1: some flat pictures are refused a perceptual hash (they keep exact ones).
        adding = subprocess.run(
            [HASHDB, "add", "-l", "known", *(str(p) for p, _ in pairs)],
            env=env,
            capture_output=True,
        )
        assert adding.returncode in (0, 1), adding.stderr
        added = time.perf_counter() - start
        command = [HASHDB, "match", "--json"]
        if args.workers is not None:
            command += ["--workers", str(args.workers)]
        share = _two_at_once()
        load = os.getloadavg()[0]
        cpu = _cpu()
        start = time.perf_counter()
        done = subprocess.run(
            [*command, *files], env=env, check=True, capture_output=True, text=True
        )
        wall = time.perf_counter() - start
        cpu = _cpu() - cpu
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["path"] for a in answers] == files, "one answer per file, in order"
    edited_names = {str(p) for p in edited}
    found = sum(a["matched"] for a in answers if a["path"] in edited_names)
    flagged = sum(a["matched"] for a in answers if a["path"] not in edited_names)
    print(
        f"load average {load:.2f} (end {os.getloadavg()[0]:.2f}), {os.cpu_count()} cores; "
        f"{len(items)} known added in {added:.1f} s; two processes side by side each ran at "
        f"{share:.2f} of one alone"
    )
    print(
        "| files | edited | workers | wall s | CPU s | per CPU-s | queries/s | floor/s "
        "| found | false |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    alone = args.workers == 1  # only then is all the work this process's own CPU time
    cpu_cells = f"{cpu:.1f} | {len(files) / cpu:.1f}" if alone else "- | -"
    print(
        f"| {len(files)} | {edited_count} | {args.workers or 'default'} | {wall:.1f} | "
        f"{cpu_cells} | {len(files) / wall:.1f} | {FLOOR:.0f} | {found} of {edited_count} | "
        f"{flagged} of {unrelated_count} |"
    )


if __name__ == "__main__":
    main()
