"""Platforms' feedback on entries: agree (a true match) or disagree (a false positive).

A principal's latest verdict on an entry is the one that counts, so changing one's mind moves
one vote instead of adding a second.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Verdict(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"


@dataclass(frozen=True, slots=True)
class Feedback:
    id: int
    entry_id: int
    verdict: Verdict
    reason: str | None
    principal: str | None
    organisation: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entry_id": self.entry_id,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "by": self.principal,
            "organisation": self.organisation,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class FeedbackCounts:
    agree: int = 0
    disagree: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"agree": self.agree, "disagree": self.disagree}


def count_latest(items: Sequence[Feedback]) -> FeedbackCounts:
    """Counts of each voter's latest verdict (``items`` in the order they were given)."""
    latest: dict[tuple[str | None, str | None], Verdict] = {}
    for item in items:
        latest[(item.organisation, item.principal)] = item.verdict
    votes = list(latest.values())
    return FeedbackCounts(votes.count(Verdict.AGREE), votes.count(Verdict.DISAGREE))
