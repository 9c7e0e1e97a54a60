"""Policy applied to the matcher's raw matches before anyone sees them.

Allow lists: media that matches a live entry on a list with action ``allow`` (known false
positives, news footage, counter-speech) is never reported as matching anything else. The
raw matches it would have had are kept as ``suppressed``, each naming the allow entries that
suppressed it, so the answer still explains itself: "this looked like entry 17 on
propaganda, at distance 12, but entry 40 on the news allow list says it is news footage".

The decision is per piece of media (per query): one allow hit allows the whole media, on
every algorithm, because the allow entry says what the media *is*.

Matching modes come first: a list in mode ``exact`` or ``hash`` never counts a match found a
way it does not accept (:attr:`Match.needs`), not even to allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hashdb.matching.match import Match
from hashdb.store.models import ListAction, parse_label


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A match that an allow entry overruled."""

    match: Match
    allowed_by: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.match.to_dict(), "allowed_by": list(self.allowed_by)}


@dataclass(frozen=True)
class Outcome:
    matches: list[Match]
    allowed_by: list[Match] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return bool(self.allowed_by)


def apply_policy(matches: Sequence[Match], labels: LabelFilter | None) -> Outcome:
    """The lists' matching modes, the label filter, then the allow lists: what every answer
    shows of the raw matches."""
    matches = allowed_by_mode(matches)
    if labels is not None:
        # Allow-list hits always stay, so they still suppress.
        matches = [m for m in matches if m.action is ListAction.ALLOW or labels.accepts(m.labels)]
    return apply_allow_lists(matches)


def allowed_by_mode(matches: Sequence[Match]) -> list[Match]:
    """The matches found in a way their list's matching mode accepts."""
    return [match for match in matches if match.allowed_by_mode]


def apply_allow_lists(matches: Sequence[Match]) -> Outcome:
    allow = [match for match in matches if match.action is ListAction.ALLOW]
    others = [match for match in matches if match.action is not ListAction.ALLOW]
    if not allow:
        return Outcome(others)
    allow_ids = tuple(sorted({match.entry_id for match in allow}))
    return Outcome([], allow, [Suppressed(match, allow_ids) for match in others])


@dataclass(frozen=True)
class LabelFilter:
    """Keep matches whose entry has, for every facet asked about, one of the asked values.

    ``type:execution type:recruitment severity:high`` keeps an entry labelled
    ``type:recruitment`` and ``severity:high``, not one with only ``type:execution``.
    """

    wanted: dict[str, frozenset[str]]

    @classmethod
    def parse(cls, labels: Sequence[str] | None) -> LabelFilter | None:
        if not labels:
            return None
        wanted: dict[str, set[str]] = {}
        for text in labels:
            for part in text.split(","):
                if part.strip():
                    facet, value = parse_label(part)
                    wanted.setdefault(facet, set()).add(value)
        if not wanted:
            return None
        return cls({facet: frozenset(values) for facet, values in wanted.items()})

    def accepts(self, labels: Sequence[str]) -> bool:
        have: dict[str, set[str]] = {}
        for label in labels:
            facet, _, value = label.partition(":")
            have.setdefault(facet, set()).add(value)
        return all(have.get(facet, set()) & values for facet, values in self.wanted.items())
