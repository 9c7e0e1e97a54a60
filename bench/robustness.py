"""Detection quality on edited re-uploads: recall per edit family, false flags, cost.

    python -m bench.robustness                       # 200 known, 5,000 distractors
    python -m bench.robustness --known 50 --distractors 500   # a quick look

Known images (five kinds, see ``bench/robustness_data.py``) are added to a fresh SQLite
database with ``HashDB.add_media``; each is then edited by every family (strengths rotate
over the images) and matched. Every distractor (unrelated images and hard negatives: other
pictures in a known's poster template or screenshot layout) is matched too. Three matchers
see the same uploads:

* ``plain PDQ``: PDQ of the upload within 31 bits of a known's PDQ (the classic setup);
* ``pHash``: imagehash pHash within 10 bits;
* ``hashdb``: ``HashDB.match_bytes`` as shipped (the robust path).

A query counts as found when the edited known is among its matches; a *false flag* is any
match of a distractor, or a match of a known query to a different known. Cost is wall time
per upload (decode + hash + lookup, and for hashdb everything it does), median and p95, in
one run so the ratios are comparable. Generated data is cached in ``bench/out/``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from hashdb.hashing import ALGORITHMS
from hashdb.media import decode_image
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data

OUT = Path(__file__).parent / "out" / "robustness-v1"
PDQ_THRESHOLD = 31
PHASH_THRESHOLD = 10


@dataclass(frozen=True)
class Query:
    path: str
    family: str  # "distractor" or "hard-*" for distractors
    strength: str
    known: int  # -1 for distractors


def _known_path(index: int) -> Path:
    return OUT / "known" / f"{index:05d}.png"


def _make_known(index: int) -> list[Query]:
    known = data.knowns(index + 1)[index]
    path = _known_path(index)
    image = Image.open(path) if path.exists() else None
    queries = []
    for number, family in enumerate(data.FAMILIES):
        strength = family.strengths[(index + number) % len(family.strengths)]
        target = OUT / "queries" / f"{index:05d}-{family.name}-{strength}.jpg"
        if not target.exists():
            if image is None:
                image = known.image()
                path.parent.mkdir(parents=True, exist_ok=True)
                image.save(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data.transformed(image, family.name, strength, index))
        queries.append(Query(str(target), family.name, strength, index))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        known.image().save(path)
    return queries


def _make_distractor(index: int, known_count: int) -> Query:
    group = "hard" if index % 5 == 4 else "distractor"
    target = OUT / "distractors" / f"{index:05d}.jpg"
    kind = ""
    if not target.exists():
        kind, image = data.distractor(index, known_count)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode(image, 85))
    return Query(str(target), group, kind, -1)


def build(known: int, distractors: int, jobs: int) -> list[Query]:
    with ProcessPoolExecutor(jobs) as pool:
        queries = [q for batch in pool.map(_make_known, range(known), chunksize=4) for q in batch]
        queries.extend(
            pool.map(_make_distractor, range(distractors), [known] * distractors, chunksize=32)
        )
    return queries


# --- measuring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    query: Query
    found: dict[str, set[int]]  # method -> known indices matched
    ms: dict[str, float]
    stage: str  # for hashdb: the stage/variant of the right match, if found


_STATE: dict[str, object] = {}


def _init_worker(
    db: str, known_pdq: np.ndarray, known_phash: np.ndarray, entry_known: dict[int, int]
) -> None:
    service = HashDB(Settings(db=db, refresh_interval=3600))
    service.pipeline.indexes.refresh()
    service.pipeline.robust.refresh()
    _STATE.update(service=service, pdq=known_pdq, phash=known_phash, entry_known=entry_known)


def _bits(values: list[bytes]) -> np.ndarray:
    return np.unpackbits(np.frombuffer(b"".join(values), np.uint8).reshape(len(values), -1), axis=1)


def _run(query: Query) -> Outcome:
    service = _STATE["service"]
    assert isinstance(service, HashDB)
    known_pdq, known_phash = _STATE["pdq"], _STATE["phash"]
    assert isinstance(known_pdq, np.ndarray) and isinstance(known_phash, np.ndarray)
    entry_known = _STATE["entry_known"]
    assert isinstance(entry_known, dict)
    blob = Path(query.path).read_bytes()
    found: dict[str, set[int]] = {}
    ms: dict[str, float] = {}

    start = time.perf_counter()
    image = decode_image(blob)
    decoded = time.perf_counter()
    # The classic setup: one PDQ hash (hashdb's own PDQ computes all eight rotations in
    # the same pass, which the baseline does not need).
    vector, _ = pdqhash.compute(image.pdq_array)
    bits = np.asarray(vector, dtype=np.uint8)
    hits = np.flatnonzero((known_pdq != bits).sum(axis=1) <= PDQ_THRESHOLD)
    ms["plain PDQ"] = (time.perf_counter() - start) * 1000
    found["plain PDQ"] = set(hits.tolist())

    start_phash = time.perf_counter()
    value = np.asarray(imagehash.phash(image.gray).hash, dtype=np.uint8).ravel()
    hits = np.flatnonzero((known_phash != value).sum(axis=1) <= PHASH_THRESHOLD)
    ms["pHash"] = (decoded - start + time.perf_counter() - start_phash) * 1000
    found["pHash"] = set(hits.tolist())

    start = time.perf_counter()
    result = service.matching.media(blob)
    ms["hashdb"] = (time.perf_counter() - start) * 1000
    found["hashdb"] = {entry_known[m.entry_id] for m in result.matches if m.entry_id in entry_known}
    stage = next(
        (
            f"{m.stage}:{m.variant}"
            for m in result.matches
            if entry_known.get(m.entry_id) == query.known
        ),
        "",
    )
    return Outcome(query, found, ms, stage)


def measure(queries: list[Query], known: int, jobs: int) -> list[Outcome]:
    workdir = Path(tempfile.mkdtemp(prefix="hashdb-robustness-"))
    db = str(workdir / "bench.sqlite")
    service = HashDB(Settings(db=db))
    entry_known: dict[int, int] = {}
    pdq_values, phash_values = [], []
    metadata = EntryMetadata(label="known", added_by="bench")
    for index in range(known):
        blob = _known_path(index).read_bytes()
        report = service.adding.media("known", blob, metadata)
        for added in report.added:
            entry_known[added.entry_id] = index
        image = decode_image(blob)
        pdq_values.append(ALGORITHMS["pdq"].compute(image).value)
        phash_values.append(ALGORITHMS["phash"].compute(image).value)
    service.close()
    args = (db, _bits(pdq_values), _bits(phash_values), entry_known)
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=args) as pool:
        return list(pool.map(_run, queries, chunksize=16))


# --- reporting ------------------------------------------------------------------------------

METHODS = ("plain PDQ", "pHash", "hashdb")


def _pct(hit: int, total: int) -> str:
    return f"{100 * hit / total:5.1f}%" if total else "    -"


def report(outcomes: list[Outcome], verbose: bool) -> str:
    by_family: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.query.known >= 0:
            by_family[outcome.query.family].append(outcome)
    lines = ["| family | queries | " + " | ".join(METHODS) + " |", "|---|---:|" + "---:|" * 3]
    totals = dict.fromkeys(METHODS, 0)
    count = 0
    for name in data.FAMILY_NAMES:
        group = by_family.get(name, [])
        hits = {m: sum(o.query.known in o.found[m] for o in group) for m in METHODS}
        for m in METHODS:
            totals[m] += hits[m]
        count += len(group)
        cells = " | ".join(_pct(hits[m], len(group)) for m in METHODS)
        lines.append(f"| {name} | {len(group)} | {cells} |")
    cells = " | ".join(f"**{_pct(totals[m], count).strip()}**" for m in METHODS)
    lines.append(f"| **all families** | {count} | {cells} |")
    distractors = [o for o in outcomes if o.query.known < 0]
    hard = [o for o in distractors if o.query.family == "hard"]
    knowns = [o for o in outcomes if o.query.known >= 0]

    def flags(group: Iterable[Outcome], method: str) -> int:
        return sum(bool(o.found[method]) for o in group)

    def wrong(method: str) -> int:
        return sum(bool(o.found[method] - {o.query.known}) for o in knowns)

    lines.append(
        f"| false flags: distractors ({len(distractors)}, of which {len(hard)} hard) | "
        f"{len(distractors)} | " + " | ".join(str(flags(distractors, m)) for m in METHODS) + " |"
    )
    lines.append(
        f"| false flags: hard negatives only | {len(hard)} | "
        + " | ".join(str(flags(hard, m)) for m in METHODS)
        + " |"
    )
    lines.append(
        "| known query matched to a *different* known | "
        f"{len(knowns)} | " + " | ".join(str(wrong(m)) for m in METHODS) + " |"
    )
    medians = {m: statistics.median(o.ms[m] for o in outcomes) for m in METHODS}
    p95 = {m: float(np.percentile([o.ms[m] for o in outcomes], 95)) for m in METHODS}
    lines.append(
        f"| cost per upload, median ms | {len(outcomes)} | "
        + " | ".join(f"{medians[m]:.1f}" for m in METHODS)
        + " |"
    )
    lines.append(
        "| cost per upload, p95 ms | | " + " | ".join(f"{p95[m]:.1f}" for m in METHODS) + " |"
    )
    lines.append(
        f"\nhashdb / plain PDQ median cost: {medians['hashdb'] / medians['plain PDQ']:.2f}x"
    )
    stages: dict[str, int] = defaultdict(int)
    for o in knowns:
        if o.stage:
            stages[o.stage.split(":")[0] + ":" + o.stage.split(":")[1].split(">")[0]] += 1
    lines.append(
        "hashdb stage:variant of found knowns: "
        + ", ".join(f"{k} {v}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1]))
    )
    if verbose:
        lines.append("\nmisses by family/strength:")
        misses: dict[str, int] = defaultdict(int)
        for o in knowns:
            if o.query.known not in o.found["hashdb"]:
                misses[f"{o.query.family}/{o.query.strength}"] += 1
        lines.extend(f"  {k}: {v}" for k, v in sorted(misses.items()))
        lines.append("false flags:")
        lines.extend(
            f"  {o.query.path} ({o.query.family} {o.query.strength}) -> {sorted(o.found['hashdb'])}"
            for o in outcomes
            if o.found["hashdb"] - {o.query.known}
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--known", type=int, default=200)
    parser.add_argument("--distractors", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--family", action="append", help="only these families (repeatable)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list misses and flags")
    args = parser.parse_args()
    started = time.perf_counter()
    queries = build(args.known, args.distractors, args.jobs)
    if args.family:
        queries = [q for q in queries if q.known < 0 or q.family in args.family]
    built = time.perf_counter()
    outcomes = measure(queries, args.known, args.jobs)
    print(
        f"{args.known} known images, {len(queries)} uploads ({args.distractors} distractors); "
        f"data {built - started:.0f}s, matching {time.perf_counter() - built:.0f}s, "
        f"{args.jobs} workers, {os.cpu_count()} CPUs\n"
    )
    print(report(outcomes, args.verbose))


if __name__ == "__main__":
    main()
