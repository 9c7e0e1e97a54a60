"""Decode + hash cost per 1920x1080 JPEG, on one core, and what reduced-size decoding costs in
hash accuracy.

    python -m bench.hashing [--images 40] [--repeat 3]

Prints per-stage milliseconds (median over images), end-to-end images/second/core for every
hash together (PDQ + pHash + dHash + MD5 + SHA-256), and the bit distance between hashes of the
reduced and the full-size decode, and from the reference hashes partners compute (PDQ:
ThreatExchange's, the picture fitted into 512x512; pHash, dHash: ``imagehash`` on every
pixel). Times are CPU time of the benchmark thread (best of
``--repeat``), so other jobs on a shared machine inflate them less than wall time; still,
read the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from hashdb.hashing import ALGORITHMS, Digest, compute_all
from hashdb.hashing.pdq import pdq_vector_to_bytes
from hashdb.media import DecodeOptions, decode_image
from hashdb.testing.images import scene

#: All five hashes of a 1080p JPEG through ``hashdb hash``, per core.
FLOOR_IMAGES_PER_CORE_SECOND = 220


def make_corpus(count: int) -> list[bytes]:
    corpus = []
    for seed in range(count):
        buffer = io.BytesIO()
        scene(seed, (1920, 1080)).save(buffer, "JPEG", quality=85)
        corpus.append(buffer.getvalue())
    return corpus


def median_ms(function: Callable[[bytes], object], corpus: list[bytes], repeat: int) -> float:
    samples = []
    for data in corpus:
        best = float("inf")
        for _ in range(repeat):
            start = time.thread_time()
            function(data)
            best = min(best, time.thread_time() - start)
        samples.append(best)
    return statistics.median(samples) * 1000


def full_decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def draft_decode(data: bytes, size: int) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (size, size))
    image.load()
    return image.convert("RGB")


def reference_thumbnail(image: Image.Image) -> Image.Image:
    """What ThreatExchange's reference PDQ hasher feeds PDQ: the image fitted into 512x512."""
    thumbnail = image.copy()
    thumbnail.thumbnail((512, 512))
    return thumbnail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = make_corpus(args.images)
    full_images = [full_decode(d) for d in corpus]
    half_images = [draft_decode(d, 512) for d in corpus]

    rows: list[tuple[str, float]] = []

    def stage(name: str, function: Callable[[bytes], object]) -> float:
        value = median_ms(function, corpus, args.repeat)
        rows.append((name, value))
        return value

    def on_image(
        images: list[Image.Image], op: Callable[[Image.Image], object]
    ) -> Callable[[bytes], object]:
        lookup = {id(d): image for d, image in zip(corpus, images, strict=True)}
        return lambda data: op(lookup[id(data)])

    stage("decode full 1920x1080", full_decode)
    stage("decode draft -> 960x540", lambda d: draft_decode(d, 512))
    stage("decode draft -> 480x270", lambda d: draft_decode(d, 256))
    full_arrays = {id(d): np.asarray(i) for d, i in zip(corpus, full_images, strict=True)}
    half_arrays = {id(d): np.asarray(i) for d, i in zip(corpus, half_images, strict=True)}
    stage("pdq on 1920x1080", lambda d: pdqhash.compute(full_arrays[id(d)]))
    stage("pdq on 960x540", lambda d: pdqhash.compute(half_arrays[id(d)]))
    thumb_arrays = {
        id(d): np.asarray(reference_thumbnail(i)) for d, i in zip(corpus, half_images, strict=True)
    }
    stage("pdq on 512x288", lambda d: pdqhash.compute(thumb_arrays[id(d)]))
    stage("phash on 1920x1080", on_image(full_images, imagehash.phash))
    stage("phash on 960x540", on_image(half_images, imagehash.phash))
    stage("dhash on 960x540", on_image(half_images, imagehash.dhash))
    stage("sha256 + md5 of bytes", lambda d: (hashlib.sha256(d).digest(), hashlib.md5(d).digest()))

    def end_to_end(decode_size: int) -> Callable[[bytes], object]:
        options = DecodeOptions(decode_size=decode_size)
        return lambda data: compute_all(decode_image(data, options))

    e2e = {
        size: stage(f"hashdb all 5 hashes, decode_size={size}", end_to_end(size))
        for size in (0, 512, 256)
    }
    cli_rate = cli_images_per_core_second(corpus)

    print(
        f"# bench/hashing.py on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {args.images} images"
    )
    print()
    print("| stage (one core) | median ms | images/s/core |")
    print("|---|---:|---:|")
    for name, value in rows:
        print(f"| {name} | {value:.2f} | {1000 / value:.0f} |")
    print()
    print(
        f"Reduced decode speed-up: decode_size=512 is {e2e[0] / e2e[512]:.1f}x, "
        f"decode_size=256 is {e2e[0] / e2e[256]:.1f}x faster than full size."
    )
    print()
    print(
        f"`hashdb hash` (default settings), CPU per image beyond start-up: "
        f"{cli_rate:.0f} images/s/core (floor {FLOOR_IMAGES_PER_CORE_SECOND})"
    )
    print()
    print(
        "| hash | decode_size | mean bits from full-size hash | max | "
        "mean bits from reference hash (PDQ: Meta's; pHash, dHash: imagehash) | max |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    # pHash and dHash as partners compute them: imagehash on every pixel of the full decode.
    partners = {
        "phash": [_imagehash_digest("phash", imagehash.phash(i).hash) for i in full_images],
        "dhash": [_imagehash_digest("dhash", imagehash.dhash(i).hash) for i in full_images],
    }
    full_options = DecodeOptions(decode_size=0)
    full_size = {
        name: [ALGORITHMS[name].compute(decode_image(d, full_options)) for d in corpus]
        for name in ("phash", "dhash")
    }
    # PDQ straight on every pixel of the full decode, as HMA's python-threatexchange does.
    full_size["pdq"] = [pdq_digest(np.asarray(image)) for image in full_images]
    # ThreatExchange's reference: full decode, thumbnail to fit 512x512, then PDQ.
    reference_pdq = [pdq_digest(np.asarray(reference_thumbnail(image))) for image in full_images]
    for size in (512, 256):
        options = DecodeOptions(decode_size=size)
        for name in ("pdq", "phash", "dhash"):
            ours = [ALGORITHMS[name].compute(decode_image(d, options)) for d in corpus]
            from_full = [a.distance(b) for a, b in zip(ours, full_size[name], strict=True)]
            cells = f"{statistics.mean(from_full):.2f} | {max(from_full)}"
            reference = reference_pdq if name == "pdq" else partners[name]
            from_ref = [a.distance(b) for a, b in zip(ours, reference, strict=True)]
            cells += f" | {statistics.mean(from_ref):.2f} | {max(from_ref)}"
            print(f"| {name} | {size} | {cells} |")


def cli_images_per_core_second(corpus: list[bytes]) -> float:
    """Images per CPU-second of the shipped ``hashdb hash`` command: the CPU time of hashing
    every file, less that of hashing one (Python start-up and imports), per extra file."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, data in enumerate(corpus):
            path = Path(folder) / f"{number:03d}.jpg"
            path.write_bytes(data)
            paths.append(str(path))
        db = str(Path(folder) / "unused.sqlite")

        def cpu(files: list[str]) -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(
                [sys.executable, "-m", "tools.cli", "--db", db, "hash", *files],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

        # Start-up is most of a short command: hash enough files that the difference is
        # the hashing, not the noise of two start-ups.
        repeats = max(3, 160 // len(paths))
        one = min(cpu(paths[:1]) for _ in range(3))
        every = min(cpu(paths * repeats) for _ in range(2))
    return (repeats * len(paths) - 1) / (every - one)


def _imagehash_digest(name: str, bits: np.ndarray) -> Digest:
    return Digest(name, np.packbits(bits.flatten().astype(np.uint8)).tobytes())


def pdq_digest(array: np.ndarray) -> Digest:
    vector, quality = pdqhash.compute(array)
    return Digest("pdq", pdq_vector_to_bytes(vector), int(quality))


if __name__ == "__main__":
    main()
