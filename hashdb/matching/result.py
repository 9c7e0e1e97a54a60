"""What the pipeline answers for one piece of media."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hashdb.hashing.media import MediaHashes
from hashdb.matching.match import Match
from hashdb.matching.policy import Suppressed


@dataclass(frozen=True)
class MatchResult:
    matches: list[Match]
    hashes: MediaHashes | None = None
    #: Allow-list matches that suppressed every other match of this media.
    allowed_by: list[Match] = field(default_factory=list)
    #: The matches the allow entries overruled, each naming them.
    suppressed: list[Suppressed] = field(default_factory=list)
    #: Review-queue items this query recorded or counted again (near-misses).
    review_items: list[int] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "matched": self.matched,
            "matches": [match.to_dict() for match in self.matches],
            "allowed": bool(self.allowed_by),
            "allowed_by": [match.to_dict() for match in self.allowed_by],
            "suppressed": [suppressed.to_dict() for suppressed in self.suppressed],
        }
        if self.hashes is not None:
            body.update(self.hashes.to_dict())
        return body
