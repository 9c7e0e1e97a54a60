"""CPU time the robust stages add to an upload that matches nothing, in one process.

    python -m bench.robust_cost [--known 60] [--uploads 200] [--rounds 2]

Adds the robustness bench's dev-split knowns (classic kinds and symbols) to one list, then
matches generated unrelated pictures (its distractors, template look-alikes left out)
through the service with the list in mode ``robust`` and in mode ``hash``, in alternating
rounds, and times on each fresh decode the query variants alone (bars, screenshot regions
and their PDQ hashes; the upload's own eight turned hashes computed before, as the plain
stage does). Times are CPU seconds of this thread (``time.thread_time``), which a busy
machine disturbs far less than wall time; the load is printed with them.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import robustness_cases as cases
from hashdb.hashing import ALGORITHMS
from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import variants
from hashdb.media import decode_image
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store.models import MatchingMode, NewList
from hashdb.testing import robustness as data
from hashdb.testing import symbols

SPLIT = symbols.SPLITS["dev"]


def _png(known: cases.Known) -> bytes:
    buffer = io.BytesIO()
    known.image().save(buffer, "PNG")
    return buffer.getvalue()


def _unrelated(count: int, known: int) -> list[bytes]:
    uploads: list[bytes] = []
    index = 0
    while len(uploads) < count:
        kind, image = cases.distractor(index, known, SPLIT)
        if not kind.startswith("hard-"):
            uploads.append(data.encode(image, 85))
        index += 1
    return uploads


def _ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.2f} (mean {1000 * statistics.mean(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--known", type=int, default=60, help="pictures on the list")
    parser.add_argument("--uploads", type=int, default=200, help="unrelated uploads")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per mode")
    args = parser.parse_args()
    service = HashDB(Settings(db=str(Path(tempfile.mkdtemp()) / "cost.sqlite")))
    service.lists.create(NewList("known"), LOCAL_OPERATOR)
    metadata = EntryMetadata(label="known", added_by="bench")
    for known in cases.knowns(args.known, SPLIT):
        service.adding.media("known", _png(known), metadata, principal=LOCAL_OPERATOR)
    uploads = _unrelated(args.uploads, args.known)
    match: dict[MatchingMode, list[float]] = {MatchingMode.ROBUST: [], MatchingMode.HASH: []}
    built: list[float] = []
    for _ in range(args.rounds):
        for mode in match:
            service.lists.update("known", matching_mode=mode, principal=LOCAL_OPERATOR)
            service.matching.media(uploads[0], principal=LOCAL_OPERATOR)  # warm
            for blob in uploads:
                start = time.thread_time()
                result = service.matching.media(blob, principal=LOCAL_OPERATOR)
                match[mode].append(time.thread_time() - start)
                assert not result.matches, "an unrelated upload matched"
        for blob in uploads:
            image = decode_image(blob)
            ALGORITHMS["pdq"].compute(image)
            start = time.thread_time()
            variants.query_variants(image)
            built.append(time.thread_time() - start)
    service.close()
    robust, plain = match[MatchingMode.ROBUST], match[MatchingMode.HASH]
    print(
        f"{args.known} known pictures, {len(uploads)} unrelated uploads x {args.rounds} rounds, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; CPU ms per upload, median\n"
        f"| list mode robust | {_ms(robust)} |\n"
        f"| list mode hash | {_ms(plain)} |\n"
        f"| robust stages (difference of medians) | "
        f"{1000 * (statistics.median(robust) - statistics.median(plain)):.2f} |\n"
        f"| query variants alone | {_ms(built)} |"
    )


if __name__ == "__main__":
    main()
