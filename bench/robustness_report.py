"""The robustness benchmark's tables: recall per family, false flags per distractor group
and per edit, confirmations and false confirmations per stage and per stage and family,
recall at zero false flags, cost, and a one-line summary per split."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from bench import robustness_cases as cases
from hashdb.testing import robustness as data
from hashdb.testing import symbols

METHODS = ("plain PDQ", "pHash", "hashdb")


@dataclass(frozen=True)
class Query:
    path: str
    #: The edit family for a known's upload; for distractors "unrelated", "template"
    #: (another picture in a known's poster template or screenshot layout) or "hard-<kind>".
    family: str
    strength: str  # for hard negatives: "<edit>:<strength>"
    known: int  # -1 for distractors
    kind: str


@dataclass(frozen=True)
class Hit:
    """One hashdb match of a known image, and how it was made."""

    known: int
    stage: str  # "hash:original", "geometric:trim", "geometric:keypoints" ...
    #: Larger is stronger: minus the PDQ distance for hash matches, the content check's
    #: score (else the tile agreement) for geometric ones.
    score: float

    @classmethod
    def of(
        cls,
        known: int,
        stage: str,
        variant: str,
        distance: int,
        verification: dict[str, object] | None,
    ) -> Hit:
        query, _, reference = variant.partition(">")
        group = _variant_group(query)
        if reference == "keypoints":
            group = "keypoints"
        if stage == "hash" or verification is None:
            return cls(known, f"{stage}:{group}", -float(distance))
        value = verification.get("score", verification.get("agreement", 0.0))
        return cls(
            known, f"{stage}:{group}", float(value) if isinstance(value, int | float) else 0.0
        )


def _variant_group(variant: str) -> str:
    # Trims: the bars cut off (``trim``, ``tight``) or one of two cuts alone (``side-*``).
    if variant.startswith(("trim", "tight", "side-")):
        turn = variant.partition("+")[2]
        return "trim" if turn in ("", "mirror") else "trim+turn"
    if variant.startswith("region"):
        return "region"
    if variant in ("original", ""):
        return "original"
    return "mirror/turn"


@dataclass(frozen=True)
class Outcome:
    query: Query
    found: dict[str, set[int]]  # method -> known indices matched
    ms: dict[str, float]
    hits: tuple[Hit, ...]  # hashdb's matches of known images

    def false_hits(self) -> list[Hit]:
        return [hit for hit in self.hits if hit.known != self.query.known]

    def right_hits(self) -> list[Hit]:
        return [hit for hit in self.hits if hit.known == self.query.known]


def _pct(hit: int, total: int) -> str:
    return f"{100 * hit / total:5.1f}%" if total else "    -"


def _zero_flag_bars(outcomes: list[Outcome]) -> dict[str, float]:
    """Per stage, the score a match must beat so that no false confirmation is left: the
    strongest false confirmation's score (-inf for a stage with none)."""
    bars: dict[str, float] = defaultdict(lambda: float("-inf"))
    for outcome in outcomes:
        for hit in outcome.false_hits():
            bars[hit.stage] = max(bars[hit.stage], hit.score)
    return bars


def report(outcomes: list[Outcome], verbose: bool) -> str:
    knowns = [o for o in outcomes if o.query.known >= 0]
    distractors = [o for o in outcomes if o.query.known < 0]
    bars = _zero_flag_bars(outcomes)

    def found_at_zero(o: Outcome) -> bool:
        return any(hit.score > bars[hit.stage] for hit in o.right_hits())

    lines = _recall_table(knowns, found_at_zero)
    lines += ["", *_flag_tables(knowns, distractors)]
    lines += ["", *_stage_table(outcomes, bars)]
    lines += ["", *_family_stage_table(outcomes)]
    lines += ["", *_cost(outcomes)]
    if verbose:
        lines.append("\nmisses by family/strength:")
        misses: dict[str, int] = defaultdict(int)
        for o in knowns:
            if o.query.known not in o.found["hashdb"]:
                misses[f"{o.query.family}/{o.query.strength}/{o.query.kind}"] += 1
        lines.extend(f"  {k}: {v}" for k, v in sorted(misses.items()))
        lines.append("false flags:")
        lines.extend(
            f"  {o.query.path} ({o.query.family} {o.query.strength}) -> "
            + ", ".join(f"{h.known} {h.stage} {h.score:.3f}" for h in o.false_hits())
            for o in outcomes
            if o.false_hits()
        )
    return "\n".join(lines)


def _recall_table(knowns: list[Outcome], found_at_zero: Callable[[Outcome], bool]) -> list[str]:
    by_family: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in knowns:
        by_family[outcome.query.family].append(outcome)
    columns = [*METHODS, "hashdb, classic", "hashdb, symbols", "hashdb at 0 false flags"]
    lines = ["| family | queries | " + " | ".join(columns) + " |", "|---|---:|" + "---:|" * 6]

    def cells(group: list[Outcome]) -> list[tuple[int, int]]:
        symbol = [o for o in group if o.query.kind in symbols.KINDS]
        classic = [o for o in group if o.query.kind not in symbols.KINDS]
        counts = [(sum(o.query.known in o.found[m] for o in group), len(group)) for m in METHODS]
        for part in (classic, symbol):
            counts.append((sum(o.query.known in o.found["hashdb"] for o in part), len(part)))
        counts.append((sum(found_at_zero(o) for o in group), len(group)))
        return counts

    for name in data.FAMILY_NAMES:
        group = by_family.get(name, [])
        if group:
            row = " | ".join(_pct(hit, total) for hit, total in cells(group))
            lines.append(f"| {name} | {len(group)} | {row} |")
    row = " | ".join(f"**{_pct(hit, total).strip()}**" for hit, total in cells(knowns))
    lines.append(f"| **all families** | {len(knowns)} | {row} |")
    return lines


def _flag_tables(knowns: list[Outcome], distractors: list[Outcome]) -> list[str]:
    def flags(group: Iterable[Outcome], method: str) -> int:
        return sum(bool(o.found[method] - {o.query.known}) for o in group)

    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in distractors:
        groups[outcome.query.family].append(outcome)
    lines = [
        "| false flags | queries | " + " | ".join(METHODS) + " |",
        "|---|---:|" + "---:|" * 3,
    ]
    for name, group in sorted(groups.items()):
        counts = " | ".join(str(flags(group, m)) for m in METHODS)
        lines.append(f"| distractors: {name} | {len(group)} | {counts} |")
    counts = " | ".join(str(flags(distractors, m)) for m in METHODS)
    lines.append(f"| **all distractors** | {len(distractors)} | {counts} |")
    counts = " | ".join(str(flags(knowns, m)) for m in METHODS)
    lines.append(f"| known upload matched to a *different* known | {len(knowns)} | {counts} |")
    # Symbol hard negatives by the edit they were uploaded with.
    by_edit: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in distractors:
        if outcome.query.family.startswith("hard-"):
            by_edit[outcome.query.strength.split(":")[0]].append(outcome)
    if by_edit:
        lines += [
            "",
            "| hard negatives by edit | queries | hashdb false flags |",
            "|---|---:|---:|",
        ]
        for edit in cases.NEGATIVE_EDITS:
            group = by_edit.get(edit, [])
            if group:
                lines.append(f"| {edit} | {len(group)} | {flags(group, 'hashdb')} |")
    return lines


def _stage_table(outcomes: list[Outcome], bars: dict[str, float]) -> list[str]:
    right: dict[str, int] = defaultdict(int)
    wrong: dict[str, int] = defaultdict(int)
    for outcome in outcomes:
        for hit in outcome.right_hits():
            right[hit.stage] += 1
        for hit in outcome.false_hits():
            wrong[hit.stage] += 1
    lines = [
        "| hashdb stage:query picture | confirmations | false | score to beat for 0 false |",
        "|---|---:|---:|---:|",
    ]
    for stage in sorted(set(right) | set(wrong), key=lambda s: -(right[s] + wrong[s])):
        bar = bars[stage]
        shown = "-" if bar == float("-inf") else f"{bar:.3f}"
        lines.append(f"| {stage} | {right[stage] + wrong[stage]} | {wrong[stage]} | {shown} |")
    return lines


def _row_of(query: Query) -> str:
    """The family a query is counted under: its edit family, or for a distractor its group
    (hard negatives by kind; the table above has them by edit)."""
    return query.family if query.known >= 0 else f"distractors: {query.family}"


def _family_stage_table(outcomes: list[Outcome]) -> list[str]:
    """Per family and stage: confirmations, and how many of them were false ("12 (1)")."""
    right: dict[tuple[str, str], int] = defaultdict(int)
    wrong: dict[tuple[str, str], int] = defaultdict(int)
    uploads: dict[str, int] = defaultdict(int)
    for outcome in outcomes:
        row = _row_of(outcome.query)
        uploads[row] += 1
        for hit in outcome.right_hits():
            right[row, hit.stage] += 1
        for hit in outcome.false_hits():
            wrong[row, hit.stage] += 1
    stages = sorted(
        {stage for _, stage in (*right, *wrong)},
        key=lambda stage: (
            -sum(right[key] + wrong[key] for key in (*right, *wrong) if key[1] == stage)
        ),
    )
    if not stages:
        return ["no confirmations"]
    order = [name for name in data.FAMILY_NAMES if name in uploads]
    order += sorted(name for name in uploads if name not in order)
    lines = [
        "confirmations (false ones) per family and stage:",
        "",
        "| family | uploads | " + " | ".join(stages) + " | false |",
        "|---|---:|" + "---:|" * (len(stages) + 1),
    ]
    for row in order:
        cells = [
            f"{right[row, stage] + wrong[row, stage]} ({wrong[row, stage]})"
            if right[row, stage] + wrong[row, stage]
            else "-"
            for stage in stages
        ]
        false = sum(wrong[row, stage] for stage in stages)
        lines.append(f"| {row} | {uploads[row]} | " + " | ".join(cells) + f" | {false} |")
    return lines


@dataclass(frozen=True)
class Summary:
    """One split in one line: what the README and the docs quote."""

    uploads: int
    recall: float
    recall_at_zero: float
    plain_recall: float
    false_flags: int
    distractors: int
    false_confirmations: int
    median_ratio: float

    def row(self, split: str) -> str:
        return (
            f"| {split} | {self.uploads} | {100 * self.recall:.1f}% | "
            f"{100 * self.recall_at_zero:.1f}% | {100 * self.plain_recall:.1f}% | "
            f"{self.false_flags} of {self.distractors} | {self.false_confirmations} | "
            f"{self.median_ratio:.2f}x |"
        )


SUMMARY_HEADER = (
    "| split | uploads | recall | recall at 0 false flags | plain PDQ recall | "
    "false flags (distractors) | false confirmations | median cost vs plain PDQ |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


def summary(outcomes: list[Outcome]) -> Summary:
    knowns = [o for o in outcomes if o.query.known >= 0]
    distractors = [o for o in outcomes if o.query.known < 0]
    bars = _zero_flag_bars(outcomes)
    at_zero = sum(any(hit.score > bars[hit.stage] for hit in o.right_hits()) for o in knowns)
    medians = {m: statistics.median(o.ms[m] for o in outcomes) for m in METHODS}
    return Summary(
        uploads=len(outcomes),
        recall=sum(o.query.known in o.found["hashdb"] for o in knowns) / max(len(knowns), 1),
        recall_at_zero=at_zero / max(len(knowns), 1),
        plain_recall=sum(o.query.known in o.found["plain PDQ"] for o in knowns)
        / max(len(knowns), 1),
        false_flags=sum(bool(o.found["hashdb"]) for o in distractors),
        distractors=len(distractors),
        false_confirmations=sum(len(o.false_hits()) for o in outcomes),
        median_ratio=medians["hashdb"] / medians["plain PDQ"],
    )


def _cost(outcomes: list[Outcome]) -> list[str]:
    medians = {m: statistics.median(o.ms[m] for o in outcomes) for m in METHODS}
    p95 = {m: float(np.percentile([o.ms[m] for o in outcomes], 95)) for m in METHODS}
    unrelated = [o for o in outcomes if o.query.family == "unrelated"]
    lines = [
        "| cost per upload | uploads | " + " | ".join(METHODS) + " |",
        "|---|---:|" + "---:|" * 3,
        f"| median ms | {len(outcomes)} | "
        + " | ".join(f"{medians[m]:.1f}" for m in METHODS)
        + " |",
        "| p95 ms | | " + " | ".join(f"{p95[m]:.1f}" for m in METHODS) + " |",
    ]
    if unrelated:
        plain = {m: statistics.median(o.ms[m] for o in unrelated) for m in METHODS}
        lines.append(
            f"| median ms, unrelated uploads | {len(unrelated)} | "
            + " | ".join(f"{plain[m]:.1f}" for m in METHODS)
            + " |"
        )
    lines.append(
        f"\nhashdb / plain PDQ median cost: {medians['hashdb'] / medians['plain PDQ']:.2f}x"
    )
    return lines
