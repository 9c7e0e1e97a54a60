"""What a match is: a live entry, the list it is on, and the evidence that the query matched it.

A :class:`Match` is built in one way only, :meth:`Match.of` (the entry, its list and the
evidence), so every field an answer explains with (labels, organisation, source…) comes
from the entry itself, whichever stage found it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hashdb.hashing import ALGORITHMS
from hashdb.matching.evidence import VideoEvidence
from hashdb.store.models import Entry, HashList, ListAction, MatchingMode


class Stage(enum.StrEnum):
    """How a match was found."""

    #: An index lookup of a hash of the query (or of one of its frames or variants).
    HASH = "hash"
    #: A looser hash candidate confirmed by keypoints and aligned content.
    GEOMETRIC = "geometric"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why the query matched an entry: the hashes compared, and what the stage checked."""

    algorithm: str
    distance: int
    threshold: int
    query_hash: str
    stage: Stage = Stage.HASH
    #: Which variant matched: "original", a query edit (e.g. "mirror-h", "trim"), or for the
    #: geometric stage "query variant>reference variant" (e.g. "region-0>full").
    variant: str = "original"
    #: The geometric check's evidence (inliers, tile agreement), when it ran.
    verification: dict[str, object] | None = None
    #: Set for matches involving a video: shares of time and matched time ranges.
    video: VideoEvidence | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """One live entry that a query matched on its list's terms."""

    entry: Entry
    hash_list: HashList
    evidence: Evidence

    @classmethod
    def of(cls, entry: Entry, hash_list: HashList, evidence: Evidence) -> Match:
        """The one constructor every stage uses."""
        return cls(entry, hash_list, evidence)

    def with_evidence(self, **changes: Any) -> Match:
        """The same match with some evidence changed (e.g. the variant that found it)."""
        return Match(self.entry, self.hash_list, replace(self.evidence, **changes))

    # The fields answers are explained with: the list's, the entry's, the evidence's.

    @property
    def list(self) -> str:
        return self.hash_list.name

    @property
    def list_id(self) -> int:
        return self.hash_list.id

    @property
    def action(self) -> ListAction:
        return self.hash_list.action

    @property
    def entry_id(self) -> int:
        return self.entry.id

    @property
    def item_id(self) -> int | None:
        """The item (media or raw hash) the matched entry belongs to."""
        return self.entry.item_id

    @property
    def entry_hash(self) -> str:
        return self.entry.hex

    @property
    def labels(self) -> tuple[str, ...]:
        return self.entry.labels

    @property
    def label(self) -> str | None:
        return self.entry.label

    @property
    def note(self) -> str | None:
        return self.entry.note

    @property
    def added_by(self) -> str | None:
        return self.entry.added_by

    @property
    def organisation(self) -> str | None:
        return self.entry.organisation

    @property
    def source(self) -> str | None:
        return self.entry.source

    @property
    def source_sha256(self) -> str | None:
        return self.entry.source_sha256

    @property
    def added_at(self) -> datetime:
        return self.entry.added_at

    @property
    def algorithm(self) -> str:
        return self.evidence.algorithm

    @property
    def distance(self) -> int:
        return self.evidence.distance

    @property
    def threshold(self) -> int:
        return self.evidence.threshold

    @property
    def query_hash(self) -> str:
        return self.evidence.query_hash

    @property
    def stage(self) -> Stage:
        return self.evidence.stage

    @property
    def variant(self) -> str:
        return self.evidence.variant

    @property
    def verification(self) -> dict[str, object] | None:
        return self.evidence.verification

    @property
    def video(self) -> VideoEvidence | None:
        return self.evidence.video

    @property
    def needs(self) -> MatchingMode:
        """The least matching mode a list must have for this match to count on it: a digest
        needs ``exact``; the upload's own perceptual hash (or a video's frame hashes)
        ``hash``; an edited variant of the upload or the geometric check ``robust``."""
        evidence = self.evidence
        if evidence.stage is Stage.GEOMETRIC:
            return MatchingMode.ROBUST
        if evidence.video is None and evidence.variant != "original":
            return MatchingMode.ROBUST
        algorithm = ALGORITHMS.get(evidence.algorithm)
        if algorithm is not None and algorithm.exact:
            return MatchingMode.EXACT
        return MatchingMode.HASH

    @property
    def allowed_by_mode(self) -> bool:
        """Whether the list's matching mode accepts the way this match was found."""
        return self.hash_list.matching_mode.allows(self.needs)

    def sort_key(self) -> tuple[int, str, int]:
        """Closest first, then by list and entry: the order of every answer."""
        return (self.distance, self.list, self.entry_id)

    def to_dict(self) -> dict[str, Any]:
        entry, evidence = self.entry, self.evidence
        body: dict[str, Any] = {
            "list": self.hash_list.name,
            "entry_id": entry.id,
            "item_id": entry.item_id,
            "algorithm": evidence.algorithm,
            "distance": evidence.distance,
            "threshold": evidence.threshold,
            "label": entry.label,
            "action": self.hash_list.action.value,
            "note": entry.note,
            "added_by": entry.added_by,
            "added_at": entry.added_at.isoformat(),
            "query_hash": evidence.query_hash,
            "entry_hash": entry.hex,
            "source_sha256": entry.source_sha256,
            "labels": list(entry.labels),
            "organisation": entry.organisation,
            "source": entry.source,
            "stage": evidence.stage.value,
            "variant": evidence.variant,
            "verification": evidence.verification,
        }
        if evidence.video is not None:
            body["video"] = evidence.video.to_dict()
        return body
