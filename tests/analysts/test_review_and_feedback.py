"""Near-misses go to the review queue and are promoted, dismissed or allow-listed; platforms
agree or disagree with entries; and the whole two-organisation story end to end."""

from __future__ import annotations

import random

import pytest

from hashdb.errors import Conflict, Forbidden, InvalidValue, ReviewItemNotFound
from hashdb.hashing import Digest
from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.store import ListAction, NewList
from hashdb.store.models import ReviewStatus, Sharing, Verdict
from tests.analysts.conftest import ACME_ANALYST, ACME_PLATFORM, BETA_ANALYST, BETA_PLATFORM, jpeg


def _pdq(seed: int) -> bytes:
    return random.Random(seed).randbytes(32)


def _flip(value: bytes, bits: int, seed: int = 0) -> bytes:
    number = int.from_bytes(value, "big")
    for bit in random.Random(seed).sample(range(256), bits):
        number ^= 1 << bit
    return number.to_bytes(32, "big")


def _query(value: bytes) -> list[Digest]:
    return [Digest("pdq", value, 90), Digest("md5", random.Random(value).randbytes(16))]


@pytest.fixture
def watched(hub: HashDB) -> int:
    """A shared review list (pdq threshold 20, review radius 45) with one entry; its id."""
    hub.lists.create(
        NewList("watch", action=ListAction.REVIEW, thresholds={"pdq": 20}),
        ACME_ANALYST,
        sharing=Sharing.SHARED_READ,
    )
    hub.sharing.update("watch", ACME_ANALYST, review_radius={"pdq": 45})
    report = hub.adding.hex(
        "watch", "pdq", [_pdq(1).hex()], EntryMetadata(), principal=ACME_ANALYST
    )
    return report.added[0].entry_id


def test_near_miss_is_queued_once_and_promoted(hub: HashDB, watched: int) -> None:
    near = _flip(_pdq(1), 30)
    assert hub.matching.digests(
        _query(_flip(_pdq(1), 12)), principal=BETA_PLATFORM
    ).matches  # a match
    assert hub.store.review_items() == []  # matches are not near-misses

    result = hub.matching.digests(_query(near), principal=BETA_PLATFORM)
    assert not result.matched and len(result.review_items) == 1
    hub.matching.digests(_query(near), principal=BETA_PLATFORM)  # seen again: counted
    assert (
        hub.matching.digests(_query(_flip(_pdq(1), 60)), principal=BETA_PLATFORM).review_items == []
    )

    [item] = hub.review.queue(ACME_ANALYST)
    assert (item.entry_id, item.distance, item.threshold, item.review_radius) == (
        watched,
        30,
        20,
        45,
    )
    assert (item.platform, item.organisation, item.seen_count) == ("beta-uploads", "beta", 2)
    assert {q.algorithm for q in item.query_hashes} == {"pdq", "md5"}
    with pytest.raises(Forbidden):  # beta may match the list but not review it
        hub.review.confirm(item.id, BETA_ANALYST)
    assert hub.review.queue(BETA_ANALYST) == []

    outcome = hub.review.confirm(item.id, ACME_ANALYST, metadata=EntryMetadata(note="variant"))
    assert outcome.item.status is ReviewStatus.CONFIRMED and outcome.report is not None
    assert outcome.report.created == 2
    promoted = hub.entries.get(outcome.item.result_entry_ids[0], principal=LOCAL_OPERATOR)
    assert (promoted.list_name, promoted.organisation, promoted.source) == (
        "watch",
        "acme",
        f"review:{item.id}",
    )
    # The promoted hash now matches outright, and the item is closed.
    assert hub.matching.digests(_query(near), principal=BETA_PLATFORM).matches
    with pytest.raises(Conflict):
        hub.review.dismiss(item.id, ACME_ANALYST, "too late")
    assert hub.review.queue(ACME_ANALYST) == []
    assert [r.id for r in hub.review.queue(ACME_ANALYST, status=None)] == [item.id]
    audit = hub.store.audit_records(target_type="review", target_id=str(item.id))
    assert [r.action for r in audit] == ["review.confirmed"]


def test_near_miss_dismissed_or_allow_listed(hub: HashDB, watched: int) -> None:
    first = hub.matching.digests(
        _query(_flip(_pdq(1), 25, seed=1)), principal=LOCAL_OPERATOR
    ).review_items[0]
    second = hub.matching.digests(
        _query(_flip(_pdq(1), 35, seed=2)), principal=LOCAL_OPERATOR
    ).review_items[0]
    dismissed = hub.review.dismiss(first, ACME_ANALYST, "different scene")
    assert dismissed.item.status is ReviewStatus.DISMISSED
    assert dismissed.item.resolution_note == "different scene"

    with pytest.raises(InvalidValue):  # allow-listing needs an allow list
        hub.review.allow(second, "watch", ACME_ANALYST)
    allowed = hub.review.allow(second, "acme-fp", ACME_ANALYST)
    assert allowed.item.status is ReviewStatus.ALLOWED
    assert hub.lists.get("acme-fp", principal=LOCAL_OPERATOR).action is ListAction.ALLOW
    # That media is now allowed, and no longer queued.
    result = hub.matching.digests(_query(_flip(_pdq(1), 35, seed=2)), principal=LOCAL_OPERATOR)
    assert result.allowed_by and result.review_items == []
    with pytest.raises(ReviewItemNotFound):
        hub.review.dismiss(9999, ACME_ANALYST)


def test_private_lists_queue_nothing_for_outsiders(hub: HashDB, watched: int) -> None:
    hub.sharing.update("watch", ACME_ANALYST, sharing=Sharing.PRIVATE)
    assert (
        hub.matching.digests(_query(_flip(_pdq(1), 30)), principal=BETA_PLATFORM).review_items == []
    )
    assert hub.matching.digests(_query(_flip(_pdq(1), 30)), principal=ACME_PLATFORM).review_items


def test_review_radius_is_validated(hub: HashDB, watched: int) -> None:
    for radius in ({"pdq": 20}, {"pdq": 129}, {"phash": 12}, {"md5": 1}):
        with pytest.raises(InvalidValue):
            hub.sharing.update("watch", ACME_ANALYST, review_radius=radius)
    assert hub.sharing.settings("watch", principal=LOCAL_OPERATOR).review_radius == {"pdq": 45}


def test_feedback_counts_each_voters_latest_verdict(hub: HashDB) -> None:
    report = hub.adding.media("terror", jpeg(1), EntryMetadata(), principal=LOCAL_OPERATOR)
    entry_id = report.added[0].entry_id
    hub.feedback.give(entry_id, Verdict.AGREE, principal=ACME_PLATFORM)
    hub.feedback.give(entry_id, Verdict.AGREE, principal=BETA_PLATFORM)
    hub.feedback.give(entry_id, Verdict.DISAGREE, "news report", principal=BETA_PLATFORM)
    summary = hub.feedback.for_entry(entry_id, ACME_ANALYST)
    assert (summary.counts.agree, summary.counts.disagree) == (1, 1)
    assert [f.verdict for f in summary.items] == [Verdict.AGREE, Verdict.AGREE, Verdict.DISAGREE]
    assert summary.items[-1].reason == "news report"
    with pytest.raises(Forbidden):
        hub.feedback.for_entry(entry_id, BETA_PLATFORM)


def test_two_organisations_share_disagree_and_retire(hub: HashDB) -> None:
    """The whole story: acme shares a list, beta's platform matches and disagrees, acme
    retires the entry with a reason; the entry keeps its history and the audit shows it."""
    hub.labels.add_terms("type", ["logo"], principal=LOCAL_OPERATOR)
    hub.lists.create(NewList("shared"), ACME_ANALYST, sharing=Sharing.SHARED_READ)
    report = hub.adding.media(
        "shared",
        jpeg(2),
        EntryMetadata(labels=("type:logo",), source="case-114"),
        principal=ACME_ANALYST,
    )
    [match, *_] = hub.matching.media(jpeg(2), principal=BETA_PLATFORM).matches
    assert (match.organisation, match.labels, match.source) == ("acme", ("type:logo",), "case-114")
    hub.feedback.give(match.entry_id, Verdict.DISAGREE, "counter-speech", principal=BETA_PLATFORM)
    assert hub.feedback.for_entry(match.entry_id, ACME_ANALYST).counts.disagree == 1

    hub.entries.retire(
        report.added[0].entry_id, "beta showed it is counter-speech", principal=ACME_ANALYST
    )
    assert not hub.matching.media(jpeg(2), principal=BETA_PLATFORM).matched
    retired = hub.entries.get(match.entry_id, BETA_ANALYST)
    assert (retired.retired_by, retired.retired_reason) == (
        "ana",
        "beta showed it is counter-speech",
    )
    assert retired.labels == ("type:logo",) and retired.organisation == "acme"
    assert hub.feedback.for_entry(match.entry_id, ACME_ANALYST).counts.disagree == 1
    actions = [(r.actor, r.action) for r in hub.store.audit_records()]
    assert ("ana@acme", "list.create") in actions
    assert ("beta-uploads@beta", "entry.feedback") in actions
