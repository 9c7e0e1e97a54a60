"""What a list's matching mode costs an upload that matches nothing.

    python -m bench.modes [--known 40] [--uploads 60] [--rounds 3]

Adds generated pictures (photos, posters, logos, screenshots) to one list, then matches
unrelated 320x240 and 1080p photos through the service, with the list in mode ``robust``
(the robust stages search it) and in mode ``hash`` (they are skipped), in alternating rounds
so that both see the same machine load. Prints the median per upload in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store.models import MatchingMode, NewList
from hashdb.testing import robustness as data

KINDS = ("photo", "poster", "logo", "screenshot")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--known", type=int, default=40, help="pictures on the list")
    parser.add_argument("--uploads", type=int, default=60, help="unrelated 320x240 uploads")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per mode")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hashdb-modes-"))
    service = HashDB(Settings(db=str(workdir / "modes.sqlite"), refresh_interval=0))
    service.lists.create(NewList("known"), LOCAL_OPERATOR)
    for number in range(args.known):
        picture = data.draw_kind(KINDS[number % len(KINDS)], 100 + number)
        service.adding.media(
            "known", data.encode(picture, 95), EntryMetadata(), principal=LOCAL_OPERATOR
        )
    uploads = {
        "320x240": [data.encode(data.photo(5000 + n, (320, 240)), 85) for n in range(args.uploads)],
        "1080p": [
            data.encode(data.photo(6000 + n, (1920, 1080)), 85)
            for n in range(max(args.uploads // 5, 1))
        ],
    }
    timings: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for mode in (MatchingMode.ROBUST, MatchingMode.HASH):
            service.lists.update("known", matching_mode=mode, principal=LOCAL_OPERATOR)
            service.matching.media(uploads["320x240"][0], principal=LOCAL_OPERATOR)  # warm
            for size, blobs in uploads.items():
                for blob in blobs:
                    start = time.perf_counter()
                    result = service.matching.media(blob, principal=LOCAL_OPERATOR)
                    timings.setdefault((mode.value, size), []).append(
                        (time.perf_counter() - start) * 1000
                    )
                    assert not result.matches, "an unrelated upload matched"
    service.close()
    print(f"{args.known} known pictures, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print("| list mode | upload | uploads | median ms |\n|---|---|---:|---:|")
    for (mode_name, size), values in timings.items():
        print(f"| {mode_name} | {size} | {len(values)} | {statistics.median(values):.1f} |")


if __name__ == "__main__":
    main()
