"""The policy step on its own: allow-list suppression and the label filter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hashdb.errors import InvalidLabel
from hashdb.matching.match import Evidence, Match
from hashdb.matching.policy import LabelFilter, apply_allow_lists
from hashdb.store.models import Entry, HashList, ListAction


def _match(entry_id: int, action: ListAction, labels: tuple[str, ...] = ()) -> Match:
    now = datetime.now(UTC)
    hash_list = HashList(int(action == ListAction.ALLOW), action.value, "", action, {}, now, now)
    entry = Entry(
        entry_id,
        hash_list.id,
        hash_list.name,
        "pdq",
        b"\0",
        None,
        None,
        None,
        None,
        None,
        now,
        labels=labels,
    )
    return Match.of(entry, hash_list, Evidence("pdq", entry_id, 31, "00"))


def test_without_allow_matches_pass_through() -> None:
    matches = [_match(1, ListAction.BLOCK), _match(2, ListAction.REVIEW)]
    outcome = apply_allow_lists(matches)
    assert outcome.matches == matches and not outcome.allowed and outcome.suppressed == []


def test_one_allow_match_suppresses_every_other_and_names_itself() -> None:
    matches = [
        _match(1, ListAction.BLOCK),
        _match(9, ListAction.ALLOW),
        _match(2, ListAction.LOG),
        _match(5, ListAction.ALLOW),
    ]
    outcome = apply_allow_lists(matches)
    assert outcome.matches == [] and [m.entry_id for m in outcome.allowed_by] == [9, 5]
    assert [(s.match.entry_id, s.allowed_by) for s in outcome.suppressed] == [
        (1, (5, 9)),
        (2, (5, 9)),
    ]
    assert outcome.suppressed[0].to_dict()["allowed_by"] == [5, 9]


@pytest.mark.parametrize(
    ("wanted", "labels", "kept"),
    [
        (["type:logo"], ("type:logo",), True),
        (["type:logo"], ("type:manual",), False),
        (["type:logo,type:manual"], ("type:manual", "severity:low"), True),
        (["type:logo", "severity:high"], ("type:logo", "severity:low"), False),
        (["Type:Logo", "severity:high"], ("severity:high", "type:logo"), True),
        (["type:logo"], (), False),
    ],
)
def test_label_filter(wanted: list[str], labels: tuple[str, ...], kept: bool) -> None:
    label_filter = LabelFilter.parse(wanted)
    assert label_filter is not None and label_filter.accepts(labels) is kept


def test_label_filter_parsing() -> None:
    assert LabelFilter.parse(None) is None and LabelFilter.parse([" , "]) is None
    with pytest.raises(InvalidLabel):
        LabelFilter.parse(["logo"])
