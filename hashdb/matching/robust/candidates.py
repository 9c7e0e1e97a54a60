"""Which references the PDQ stage puts forward for the geometric check.

Every query variant's neighbours among the reference variant rows, within the candidate
radius, nearest first, one candidate per entry (its nearest row). A corner window
(:func:`.variants.corner_windows`) meets only the rows of the same window, and its
candidates come after every other variant's: they fill the places left, and never take the
place of an entry another variant found, nor change the picture of the upload that entry
is checked on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from hashdb.index.base import Neighbours
from hashdb.matching.robust import variants
from hashdb.matching.robust.policy import Candidate, RobustPolicy


def gather(
    hashes: Sequence[variants.VariantHash],
    neighbours: Sequence[Neighbours],
    rows: Mapping[int, tuple[int, str]],
    matched: set[int],
    policy: RobustPolicy,
) -> tuple[list[Candidate], int]:
    """The candidates of the query variants ``hashes``, given each one's ``neighbours``
    (reference row ids and distances; ``rows`` maps a row id to its entry and variant),
    leaving out entries already ``matched``; and the distance of the nearest row within
    the keypoint gate (or one more than the gate)."""
    best: dict[int, Candidate] = {}
    windowed: dict[int, Candidate] = {}
    radius = policy.candidate_distance
    nearest = policy.keypoint_gate + 1
    for variant, found in zip(hashes, neighbours, strict=True):
        window = variants.window_row(variant.variant)
        for row_id, distance in found.pairs():
            entry_id, reference_variant = rows.get(row_id, (-1, ""))
            if entry_id < 0 or entry_id in matched:
                continue
            if window is not None:
                if reference_variant == window and distance <= radius:
                    _keep_nearer(windowed, Candidate(entry_id, distance, variant, window))
                continue
            nearest = min(nearest, distance)
            if distance <= radius:
                _keep_nearer(best, Candidate(entry_id, distance, variant, reference_variant))
    ranked = _nearest_first(best.values())
    ranked.extend(_nearest_first(c for c in windowed.values() if c.entry_id not in best))
    return ranked, nearest


def _keep_nearer(best: dict[int, Candidate], candidate: Candidate) -> None:
    current = best.get(candidate.entry_id)
    if current is None or candidate.distance < current.distance:
        best[candidate.entry_id] = candidate


def _nearest_first(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.distance, c.entry_id))
