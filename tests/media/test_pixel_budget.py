"""Concurrent decodes share a budget of pixels: memory stays bounded however many large
images arrive at once."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from pathlib import Path

from PIL import Image

from hashdb.media import DecodeOptions, decode_image
from hashdb.media.budget import PixelBudget, budget


def _png(width: int, height: int, seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((width, height)).convert("RGB").rotate(seed).save(
        buffer, "PNG", compress_level=1
    )
    return buffer.getvalue()


def test_decodes_wait_for_the_budget_and_all_finish() -> None:
    images = [_png(1000, 800, seed) for seed in range(6)]
    options = DecodeOptions(pixel_budget=1_700_000)  # two of these at once, not three
    shared = budget(options.pixel_budget)
    decoded = []

    def work(data: bytes) -> None:
        decoded.append(decode_image(data, options).size)

    threads = [threading.Thread(target=work, args=(data,)) for data in images]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(decoded) == 6
    assert 800_000 <= shared.peak <= 1_700_000
    assert shared.in_use == 0


def test_an_image_larger_than_the_budget_runs_alone() -> None:
    small = PixelBudget(100)
    order: list[str] = []
    with small.hold(10):
        started = threading.Event()

        def large() -> None:
            started.set()
            with small.hold(10_000):  # more than the whole budget: waits to run alone
                order.append("large")

        thread = threading.Thread(target=large)
        thread.start()
        started.wait()
        time.sleep(0.1)
        order.append("small done")
    thread.join(timeout=10)
    assert order == ["small done", "large"]
    assert small.peak == 100


# Resident memory sampled while four threads decode, above what the process held before.
_PEAK = """
import sys, threading, time
from hashdb.media import DecodeOptions, decode_image

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024

data = open(sys.argv[2], "rb").read()
options = DecodeOptions(max_pixels=30_000_000, pixel_budget=int(sys.argv[1]))
decode_image(data, options)  # warm: the first decode loads what later ones reuse
before, peak, done = rss(), [0], threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)

sampler = threading.Thread(target=sample)
sampler.start()
decoded = []
threads = [
    threading.Thread(target=lambda: decoded.append(bool(decode_image(data, options))))
    for _ in range(4)
]
for thread in threads: thread.start()
for thread in threads: thread.join()
done.set()
sampler.join()
assert len(decoded) == 4, len(decoded)
print(peak[0] - before)
"""


def _peak_mb(budget: int, png: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", _PEAK, str(budget), str(png)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return int(result.stdout.strip())


def test_four_large_pngs_at_once_hold_one_images_memory_not_four(tmp_path: Path) -> None:
    """Four 25-megapixel PNGs decoded by four threads: with a budget of one image, the peak
    memory is about one decode (~75-100 MB), not four."""
    png = tmp_path / "large.png"
    Image.new("RGB", (5000, 5000), (40, 90, 160)).save(png, "PNG", compress_level=1)
    unbounded = _peak_mb(10**12, png)
    bounded = _peak_mb(25_000_000, png)
    assert bounded < 200, (bounded, unbounded)
    assert bounded < unbounded * 0.6, (bounded, unbounded)
