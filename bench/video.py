"""Video hashing speed (x realtime per core) and matching recall per edit family.

    python -m bench.video [--seconds 20] [--videos 12] [--clip-seconds 15] [--skip-speed]

Speed: synthetic 720p30 and 1080p30 H.264 files (libx264 veryfast: B-frames, scene cuts) are
hashed as a query would be, in each sampling mode; "x realtime per core" is seconds of video
per CPU second of the process (all decoder threads counted), so it does not depend on how busy
the shared machine is; wall time is printed too.

Recall: ``--videos`` pan-and-zoom slideshows are added to one list as references (dense
sampling); each edit family is made from the same scenes and matched; a hit counts only when
the right video matched, and any match of an unrelated video, or of the wrong reference, counts
as a false match. Timings are noisy on shared machines: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

from PIL import Image

from hashdb.hashing.media import MediaHasher
from hashdb.hashing.vpdq import hash_video
from hashdb.identity import LOCAL_OPERATOR
from hashdb.media.video import SamplingMode, VideoOptions
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing.images import encode as encode_image
from hashdb.testing.videos import (
    Frame,
    Slideshow,
    apply,
    captioned,
    letterboxed,
    mirrored,
    mp4,
    resized,
    vertical,
    webm,
    window,
)

SIZE = (480, 270)
FPS = 20


def _held(video: Slideshow) -> Iterator[Frame]:
    """Each 5 s slide held still for 3 s, then the camera moves for 2 s (talking heads,
    interviews, slides: footage that is still much of the time)."""
    for number in range(video.frame_count):
        t = number / video.fps
        start = 5 * (t // 5)
        yield video.frame_at(start + max(0.0, t - start - 3.0) * 2.5)


def speed(seconds: float) -> list[tuple[str, str, float, float, int]]:
    rows = []
    shipped = MediaHasher(Settings())
    reference = shipped.video_options(reference=True)
    # (label, size, shots held, encoder options): libx264's default puts a keyframe at each
    # scene cut and at most 250 frames apart; phones and streaming encoders every 1-2 s.
    sources: tuple[tuple[str, tuple[int, int], bool, dict[str, str]], ...] = (
        ("720p", (1280, 720), False, {}),
        ("720p, a keyframe every second", (1280, 720), False, {"g": "30"}),
        ("720p, shots held 3 s of 5", (1280, 720), True, {}),
        ("1080p", (1920, 1080), False, {}),
    )
    for label, size, held, encoder in sources:
        video = Slideshow(
            500 + size[1], size=size, fps=30, slides=max(1, round(seconds / 5)), slide_seconds=5
        )
        started = time.perf_counter()
        data = mp4(_held(video) if held else video.frames(), 30, options=encoder)
        print(f"  made {label} ({len(data) // 1024} KiB) in {time.perf_counter() - started:.0f}s")
        modes = (
            ("decode every frame (keyframes hashed)", VideoOptions(fps=0.001, skip_nonref=False)),
            ("1 frame/s (query default)", shipped.video_options(reference=False)),
            (
                "1 frame/s, deblocking skipped (drifts on texture)",
                VideoOptions(fps=1.0, mirrored=True, fast_decode=True),
            ),
            (
                "keyframes + scene cuts",
                replace(shipped.video_options(reference=False), mode=SamplingMode.KEYFRAMES),
            ),
            ("10 frames/s, every one hashed (references before)", replace(reference, coarse_fps=0)),
            ("adding a reference (default: 2.5/s, 10/s where it moves)", reference),
        )
        for name, options in modes:
            cpu, wall = time.process_time(), time.perf_counter()
            hashed = hash_video(data, options)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            rows.append(
                (label, name, video.duration / cpu, video.duration / wall, len(hashed.frames))
            )
    return rows


Edit = Callable[[Slideshow, random.Random], bytes]


def _all(video: Slideshow, *edits: Callable[[Frame], Frame]) -> Iterator[Frame]:
    return apply(video.frames(), *edits)


def _trimmed(video: Slideshow, rng: random.Random) -> bytes:
    return mp4(window(video, video.duration * 0.3, video.duration * 0.7), video.fps)


def _clip(video: Slideshow, rng: random.Random) -> bytes:
    start = rng.uniform(0, video.duration - 5)
    return mp4(window(video, start, start + 5), video.fps)


EDITS: dict[str, Edit] = {
    "trimmed (first/last 30% cut)": _trimmed,
    "5 s clip": _clip,
    "re-encoded H.264 low bitrate": lambda v, r: mp4(v.frames(), v.fps, options={"crf": "38"}),
    "re-encoded VP9 (other codec)": lambda v, r: webm(v.frames(), v.fps, bitrate=150_000),
    "resized to 50%": lambda v, r: mp4(_all(v, resized((240, 136))), v.fps),
    "letterboxed 4:3": lambda v, r: mp4(_all(v, letterboxed((480, 360))), v.fps),
    "vertical 9:16 pillarboxed": lambda v, r: mp4(_all(v, vertical((360, 640))), v.fps),
    "mirrored": lambda v, r: mp4(_all(v, mirrored), v.fps),
    "captioned + watermark": lambda v, r: mp4(_all(v, captioned()), v.fps),
    "15 fps": lambda v, r: mp4(window(v, 0, v.duration, fps=15), 15),
    "phone repost: 5 s clip, 9:16, captioned, VP9": lambda v, r: _repost(v, r),
}


def _repost(video: Slideshow, rng: random.Random) -> bytes:
    start = rng.uniform(0, video.duration - 5)
    frames = apply(window(video, start, start + 5), vertical((360, 640)), captioned())
    return webm(frames, video.fps, bitrate=200_000)


def recall(count: int, seconds: float) -> tuple[list[tuple[str, int, int, int, int]], int]:
    folder = tempfile.mkdtemp(prefix="hashdb-bench-video-")
    db = os.path.join(folder, "bench.sqlite")
    services = {
        mode: HashDB(Settings(db=db, refresh_interval=0, video_mode=mode))
        for mode in ("fps", "keyframes")
    }
    slides = max(2, round(seconds / 5))
    videos = [
        Slideshow(1000 + seed, size=SIZE, fps=FPS, slides=slides, slide_seconds=seconds / slides)
        for seed in range(count)
    ]
    entry_of: dict[int, int] = {}
    for number, video in enumerate(videos):
        report = services["fps"].adding.media(
            "bench",
            mp4(video.frames(), video.fps),
            EntryMetadata(label=str(number)),
            principal=LOCAL_OPERATOR,
        )
        entry_of[number] = next(a.entry_id for a in report.added if a.algorithm == "vpdq")
    print(f"  added {count} references")
    rows = []
    rng = random.Random(7)

    def score(data: bytes, number: int | None) -> dict[str, tuple[int, int]]:
        out = {}
        for mode, service in services.items():
            matches = [
                m
                for m in service.matching.media(data, principal=LOCAL_OPERATOR).matches
                if m.algorithm == "vpdq"
            ]
            hit = number is not None and any(m.entry_id == entry_of[number] for m in matches)
            wrong = sum(1 for m in matches if number is None or m.entry_id != entry_of[number])
            out[mode] = (int(hit), wrong)
        return out

    for family, edit in EDITS.items():
        totals = {mode: [0, 0] for mode in services}
        for number, video in enumerate(videos):
            for mode, (hit, wrong) in score(edit(video, rng), number).items():
                totals[mode][0] += hit
                totals[mode][1] += wrong
        rows.append(
            (
                family,
                totals["fps"][0],
                totals["keyframes"][0],
                count,
                sum(t[1] for t in totals.values()),
            )
        )
        print(f"  {family}: {totals}")
    # Stills grabbed at arbitrary moments (between any sampled frames), three per video.
    hits = wrong = 0
    for number, video in enumerate(videos):
        for _ in range(3):
            moment = rng.uniform(0, video.duration)
            still = encode_image(Image.fromarray(video.frame_at(moment)), "JPEG", quality=85)
            hit, bad = score(still, number)["fps"]
            hits += hit
            wrong += bad
    rows.append(("stills at arbitrary times (images)", hits, -1, count * 3, wrong))
    # Unrelated videos and stills: any match at all is a false match.
    false_matches = 0
    for seed in range(count):
        other = Slideshow(
            9000 + seed, size=SIZE, fps=FPS, slides=slides, slide_seconds=seconds / slides
        )
        for _, bad in score(mp4(other.frames(), other.fps), None).values():
            false_matches += bad
        still = encode_image(Image.fromarray(other.frame_at(2.5)), "JPEG")
        false_matches += score(still, None)["fps"][1]
    for service in services.values():
        service.close()
    return rows, false_matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of the speed videos")
    parser.add_argument("--videos", type=int, default=12, help="reference videos for recall")
    parser.add_argument("--clip-seconds", type=float, default=15, help="length of each")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-recall", action="store_true")
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC (shared machine: read ratios)"
    )
    if not args.skip_speed:
        rows = speed(args.seconds)
        print("\n| video | sampling | x realtime per core (CPU) | x realtime wall | frames kept |")
        print("|---|---|---:|---:|---:|")
        for label, name, per_core, wall, frames in rows:
            print(f"| {label} | {name} | {per_core:.0f}x | {wall:.0f}x | {frames} |")
    if not args.skip_recall:
        recall_rows, false_matches = recall(args.videos, args.clip_seconds)
        print("\n| edit family | matched (1 fps queries) | matched (keyframe queries) |")
        print("|---|---:|---:|")
        for family, fps_hits, key_hits, total, _wrong in recall_rows:
            keyframes = f"{key_hits}/{total}" if key_hits >= 0 else "—"
            print(f"| {family} | {fps_hits}/{total} | {keyframes} |")
        wrong = sum(row[4] for row in recall_rows)
        print(
            f"\nwrong-video matches on edited copies: {wrong}; matches of "
            f"{args.videos} unrelated videos + {args.videos} unrelated stills: {false_matches}"
        )


if __name__ == "__main__":
    main()
