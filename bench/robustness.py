"""Detection quality on edited re-uploads: recall per edit family, false flags, cost.

    python -m bench.robustness                      # the dev split, full size
    python -m bench.robustness --split held-out     # the held-out split (never tuned on)
    python -m bench.robustness --quick              # a small dev run for iterating
    python -m bench.robustness --split both         # both splits, and a summary of each

Known images (classic kinds and symbols, see ``bench/robustness_cases.py``) are added to a
fresh SQLite database with ``HashDB.adding.media``; each is then edited by every family
(strengths rotate over the images) and matched. Every distractor is matched too: unrelated
pictures, pictures in a known poster's template or screenshot layout, and the symbol hard
negatives (other glyphs of a known glyph's font and colours, other icons of its group,
faces and flags that differ in one element, posters with other text), each under an edit.
Three matchers see the same uploads:

* ``plain PDQ``: PDQ of the upload within 31 bits of a known's PDQ (the classic setup);
* ``pHash``: imagehash pHash within 10 bits;
* ``hashdb``: ``HashDB.matching.media`` as shipped (the robust path).

A query counts as found when the edited known is among its matches; a *false flag* is any
match of a distractor, or a match of a known query to a different known. Cost is wall time
per upload (decode + hash + lookup, and for hashdb everything it does), median and p95, in
one run so the ratios are comparable. Generated data is cached in ``bench/out/``.

Per split the report gives recall per family (and at zero false flags: each stage's matches
counted only above its strongest false confirmation), false flags per distractor group and
per edit of the hard negatives, confirmations and false confirmations per stage and per
family and stage, and the cost; then one summary line per split.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import imagehash
import numpy as np
import pdqhash

from bench import robustness_cases as cases
from bench.robustness_report import SUMMARY_HEADER, Hit, Outcome, Query, report, summary
from hashdb.hashing import ALGORITHMS
from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust.policy import RobustPolicy
from hashdb.media import decode_image
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data
from hashdb.testing import symbols

OUT = Path(__file__).parent / "out" / "robustness-v3"
PDQ_THRESHOLD = 31
PHASH_THRESHOLD = 10


def _write(target: Path, blob: bytes) -> None:
    """Write whole or not at all (two runs may build the same cache at once)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    partial.write_bytes(blob)
    partial.replace(target)


def _known_name(known: cases.Known) -> str:
    """A file name that says what the picture is (the index alone depends on the count)."""
    return f"{known.kind}-{known.seed}" + (
        f"-{_member_key(known.kind, known.member)}" if known.member else ""
    )


def _member_key(kind: str, member: str) -> str:
    return f"u{ord(member):04x}" if kind == "glyph" else member


def _known_path(known: cases.Known) -> Path:
    return OUT / known.split / "known" / f"{_known_name(known)}.png"


def _make_known(known: cases.Known) -> list[Query]:
    path = _known_path(known)
    image = None
    if not path.exists():
        image = known.image()
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        _write(path, buffer.getvalue())
    queries = []
    for number, family in enumerate(data.FAMILIES):
        strength = family.strengths[(known.index + number) % len(family.strengths)]
        name = f"{_known_name(known)}-{known.index}-{family.name}-{strength}.jpg"
        target = OUT / known.split / "queries" / name
        if not target.exists():
            if image is None:
                image = known.image()
            _write(target, data.transformed(image, family.name, strength, known.index))
        queries.append(Query(str(target), family.name, strength, known.index, known.kind))
    return queries


def _make_distractor(index: int, known_count: int, split: str) -> Query:
    target = OUT / split / "distractors" / f"{known_count}-{index:05d}.jpg"
    kind, image = cases.distractor(index, known_count, symbols.SPLITS[split])
    if not target.exists():
        _write(target, data.encode(image, 85))
    group = "template" if kind.startswith("hard-") else "unrelated"
    return Query(str(target), group, kind, -1, kind)


def _make_negative(negative: cases.HardNegative) -> Query:
    name = f"{negative.kind}-{negative.seed}-{_member_key(negative.kind, negative.member)}"
    name = f"{name}-{negative.number}-{negative.edit}-{negative.strength}.jpg"
    target = OUT / negative.split / "negatives" / name
    if not target.exists():
        _write(target, negative.upload())
    strength = f"{negative.edit}:{negative.strength}" if negative.strength else negative.edit
    return Query(str(target), f"hard-{negative.kind}", strength, -1, negative.kind)


def build(
    split: symbols.Split, known: int, distractors: int, per_set: int | None, jobs: int
) -> tuple[list[cases.Known], list[Query]]:
    items = cases.knowns(known, split)
    negatives = cases.hard_negatives(items, per_set)
    with ProcessPoolExecutor(jobs) as pool:
        queries = [q for batch in pool.map(_make_known, items, chunksize=4) for q in batch]
        queries.extend(
            pool.map(
                _make_distractor,
                range(distractors),
                [known] * distractors,
                [split.name] * distractors,
                chunksize=32,
            )
        )
        queries.extend(pool.map(_make_negative, negatives, chunksize=32))
    return items, queries


# --- measuring ----------------------------------------------------------------------------

_STATE: dict[str, object] = {}


def _policy(overrides: list[str]) -> RobustPolicy:
    """RobustPolicy with ``name=value`` overrides, dotted into nested policies
    (``geometric.min_inliers=20``, ``geometric.content.element_area=none``)."""
    policy = RobustPolicy()
    for item in overrides:
        name, value = item.split("=", 1)
        policy = _replaced(policy, name.split("."), value)
    return policy


def _replaced(policy: Any, path: list[str], value: str) -> Any:
    head, *rest = path
    current = getattr(policy, head)
    new = _replaced(current, rest, value) if rest else _parsed(current, value)
    return dataclasses.replace(policy, **{head: new})


def _parsed(current: object, value: str) -> object:
    """``value`` as the type of the setting it replaces (``none`` turns an optional off)."""
    if value.lower() == "none":
        return None
    if isinstance(current, bool):
        return value == "1"
    if isinstance(current, int):
        return int(float(value))
    return float(value)


def _init_worker(
    db: str,
    known_pdq: np.ndarray,
    known_phash: np.ndarray,
    entry_known: dict[int, int],
    overrides: list[str],
) -> None:
    service = HashDB(Settings(db=db, refresh_interval=3600))
    service.pipeline.robust.policy = _policy(overrides)
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
    result = service.matching.media(blob, principal=LOCAL_OPERATOR)
    ms["hashdb"] = (time.perf_counter() - start) * 1000
    hits_of = [
        Hit.of(entry_known[m.entry_id], m.stage, m.variant, m.distance, m.verification)
        for m in result.matches
        if m.entry_id in entry_known
    ]
    found["hashdb"] = {hit.known for hit in hits_of}
    return Outcome(query, found, ms, tuple(hits_of))


def measure(
    items: list[cases.Known], queries: list[Query], jobs: int, overrides: list[str]
) -> list[Outcome]:
    workdir = Path(tempfile.mkdtemp(prefix="hashdb-robustness-"))
    db = str(workdir / "bench.sqlite")
    service = HashDB(Settings(db=db))
    entry_known: dict[int, int] = {}
    pdq_values, phash_values = [], []
    metadata = EntryMetadata(label="known", added_by="bench")
    for item in items:
        blob = _known_path(item).read_bytes()
        added = service.adding.media("known", blob, metadata, principal=LOCAL_OPERATOR)
        for entry in added.added:
            entry_known[entry.entry_id] = item.index
        image = decode_image(blob)
        pdq_values.append(ALGORITHMS["pdq"].compute(image).value)
        phash_values.append(ALGORITHMS["phash"].compute(image).value)
    service.close()
    args = (db, _bits(pdq_values), _bits(phash_values), entry_known, overrides)
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=args) as pool:
        return list(pool.map(_run, queries, chunksize=16))


def run_split(split: symbols.Split, args: argparse.Namespace) -> list[Outcome]:
    """Build, measure and report one split."""
    known = args.known or (60 if args.quick else 240)
    distractors = (
        args.distractors if args.distractors is not None else (400 if args.quick else 1500)
    )
    per_set = args.hard_per_set or (25 if args.quick else None)
    started = time.perf_counter()
    items, queries = build(split, known, distractors, per_set, args.jobs)
    if args.family or args.distractors_only:
        families = set(args.family or ())
        queries = [q for q in queries if q.known < 0 or q.family in families]
    built = time.perf_counter()
    outcomes = measure(items, queries, args.jobs, args.policy)
    negatives = sum(q.family.startswith("hard-") for q in queries)
    print(
        f"## split {split.name}\n\n{known} known images, {len(queries)} uploads ({distractors} "
        f"unrelated/template distractors, {negatives} symbol hard negatives); data "
        f"{built - started:.0f}s, matching {time.perf_counter() - built:.0f}s, {args.jobs} "
        f"workers, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        + (f", policy {' '.join(args.policy)}" if args.policy else "")
        + "\n"
    )
    print(report(outcomes, args.verbose), flush=True)
    if args.dump:
        known_paths = {item.index: str(_known_path(item)) for item in items}
        rows = [
            {
                **dataclasses.asdict(o.query),
                "hits": [dataclasses.asdict(hit) for hit in o.hits],
                "ms": o.ms,
            }
            for o in outcomes
        ]
        target = args.dump if args.split != "both" else args.dump.with_suffix(f".{split.name}.json")
        target.write_text(json.dumps({"known": known_paths, "outcomes": rows}))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--split",
        choices=[*sorted(symbols.SPLITS), "both"],
        default="dev",
        help="dev (tuned on), held-out (never tuned on) or both, with a summary of each",
    )
    parser.add_argument("--quick", action="store_true", help="a small run for iterating")
    parser.add_argument("--known", type=int, help="known images (default 240; quick 60)")
    parser.add_argument("--distractors", type=int, help="unrelated (default 1500; quick 400)")
    parser.add_argument("--hard-per-set", type=int, help="hard negatives per symbol set")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--family",
        action="append",
        choices=[family.name for family in data.FAMILIES],
        help="only these families (repeatable)",
    )
    parser.add_argument(
        "--distractors-only",
        action="store_true",
        help="match only the distractors and hard negatives (their false flags), no edited knowns",
    )
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        help="override a RobustPolicy field, e.g. max_candidates=2, geometric.min_inliers=20 "
        "or geometric.content.element_area=none",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="list misses and flags")
    parser.add_argument("--dump", type=Path, help="write every outcome to this JSON file")
    args = parser.parse_args()
    names = ["dev", "held-out"] if args.split == "both" else [args.split]
    summaries = {name: summary(run_split(symbols.SPLITS[name], args)) for name in names}
    print(f"\n## summary\n\n{SUMMARY_HEADER}")
    for name, found in summaries.items():
        print(found.row(name))


if __name__ == "__main__":
    main()
