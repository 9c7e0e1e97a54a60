"""Allow lists suppress matches with an explanation; labels are controlled and filterable."""

from __future__ import annotations

import pytest

from hashdb.errors import Forbidden, InvalidLabel
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.store import ListAction, NewList
from hashdb.store.models import Sharing
from hashdb.testing.images import encode, scene
from tests.analysts.conftest import ACME_ANALYST, BETA_ANALYST, BETA_PLATFORM, jpeg


def test_allow_entry_suppresses_block_matches_and_says_why(hub: HashDB) -> None:
    hub.lists.create(NewList("terror"), ACME_ANALYST)
    blocked = hub.adding.media(
        "terror", jpeg(1), EntryMetadata(note="beheading"), principal=ACME_ANALYST
    )
    hub.lists.create(NewList("news", action=ListAction.ALLOW), BETA_ANALYST)
    allowed = hub.adding.media(
        "news",
        jpeg(1),
        EntryMetadata(note="BBC report", source="https://bbc.example/x"),
        principal=BETA_ANALYST,
    )
    copy = encode(scene(1), "JPEG", quality=60)

    result = hub.matching.media(copy, principal=BETA_PLATFORM)
    assert not result.matched and result.matches == []
    allow_ids = {added.entry_id for added in allowed.added}
    assert {m.entry_id for m in result.allowed_by} <= allow_ids and result.allowed_by
    assert {s.match.entry_id for s in result.suppressed} <= {a.entry_id for a in blocked.added}
    body = result.to_dict()
    assert body["matched"] is False and body["allowed"] is True
    assert body["allowed_by"][0]["list"] == "news"
    assert body["allowed_by"][0]["source"] == "https://bbc.example/x"
    assert body["suppressed"][0]["list"] == "terror"
    assert set(body["suppressed"][0]["allowed_by"]) <= allow_ids
    assert {"hashes", "media", "matches"} <= body.keys()  # the existing contract stays

    # A list filter cannot bypass the allow list, and the hash-only path agrees.
    assert not hub.matching.media(copy, ["terror"], principal=BETA_PLATFORM).matched
    assert (
        hub.matching.digests(hub.media.hash_bytes(copy).digests, principal=LOCAL_OPERATOR).matches
        == []
    )
    # Unrelated media on the block list still matches.
    hub.adding.media("terror", jpeg(2), EntryMetadata(), principal=ACME_ANALYST)
    assert hub.matching.media(jpeg(2), principal=BETA_PLATFORM).matched


def test_retiring_the_allow_entry_restores_the_match(hub: HashDB) -> None:
    hub.adding.media("terror", jpeg(3), EntryMetadata(), principal=LOCAL_OPERATOR)
    hub.lists.create(NewList("fp", action=ListAction.ALLOW), principal=LOCAL_OPERATOR)
    allow = hub.adding.media("fp", jpeg(3), EntryMetadata(), principal=LOCAL_OPERATOR)
    assert not hub.matching.media(jpeg(3), principal=LOCAL_OPERATOR).matched
    first = allow.added[0].entry_id
    hub.entries.retire(first, "was propaganda after all", principal=LOCAL_OPERATOR)
    assert hub.matching.media(jpeg(3), principal=LOCAL_OPERATOR).matched


def test_a_private_allow_list_only_allows_for_its_owner(hub: HashDB) -> None:
    hub.adding.media("terror", jpeg(4), EntryMetadata(), principal=LOCAL_OPERATOR)
    hub.lists.create(
        NewList("beta-fp", action=ListAction.ALLOW), BETA_ANALYST, sharing=Sharing.PRIVATE
    )
    hub.adding.media("beta-fp", jpeg(4), EntryMetadata(), principal=BETA_ANALYST)
    assert not hub.matching.media(jpeg(4), principal=BETA_PLATFORM).matched
    assert hub.matching.media(jpeg(4), principal=ACME_ANALYST).matched


def test_labels_must_be_in_the_vocabulary(hub: HashDB) -> None:
    with pytest.raises(InvalidLabel, match="not in the label vocabulary"):
        hub.adding.media(
            "terror", jpeg(5), EntryMetadata(labels=("type:execution",)), principal=LOCAL_OPERATOR
        )
    assert hub.store.count_entries() == 0
    hub.labels.add_terms(
        "type", ["execution", "recruitment", "logo", "manual"], principal=LOCAL_OPERATOR
    )
    hub.labels.add_terms("severity", ["low", "high"], principal=LOCAL_OPERATOR)
    with pytest.raises(InvalidLabel):
        hub.adding.media(
            "terror", jpeg(5), EntryMetadata(labels=("type:exécution",)), principal=LOCAL_OPERATOR
        )
    with pytest.raises(InvalidLabel):
        hub.adding.media(
            "terror", jpeg(5), EntryMetadata(labels=("execution",)), principal=LOCAL_OPERATOR
        )
    report = hub.adding.media(
        "terror",
        jpeg(5),
        EntryMetadata(labels=("Type:Execution", "severity:high")),
        principal=LOCAL_OPERATOR,
    )
    entry = hub.entries.get(report.added[0].entry_id, principal=LOCAL_OPERATOR)
    assert entry.labels == ("severity:high", "type:execution")
    assert hub.matching.media(jpeg(5), principal=LOCAL_OPERATOR).matches[0].labels == (
        "severity:high",
        "type:execution",
    )
    with pytest.raises(InvalidLabel):
        hub.labels.add_terms("Bad Facet", ["x"], principal=LOCAL_OPERATOR)
    # The vocabulary belongs to the deployment: its operators change it, not an organisation.
    for outsider in (ACME_ANALYST, Principal("acme-admin", Role.ADMIN, "acme")):
        with pytest.raises(Forbidden):
            hub.labels.add_terms("type", ["beheading"], principal=outsider)
        with pytest.raises(Forbidden):
            hub.labels.remove_term("type:logo", outsider)
    hub.labels.add_terms("type", ["beheading"], principal=Principal("root", Role.ADMIN))
    assert "type:beheading" in {term.label for term in hub.labels.vocabulary(ACME_ANALYST)}


def test_match_filters_by_labels(hub: HashDB) -> None:
    hub.labels.add_terms("type", ["execution", "logo"], principal=LOCAL_OPERATOR)
    hub.labels.add_terms("severity", ["low", "high"], principal=LOCAL_OPERATOR)
    hub.adding.media(
        "terror",
        jpeg(6),
        EntryMetadata(labels=("type:execution", "severity:high")),
        principal=LOCAL_OPERATOR,
    )
    hub.adding.media(
        "terror",
        jpeg(7),
        EntryMetadata(labels=("type:logo", "severity:low")),
        principal=LOCAL_OPERATOR,
    )

    def listed(seed: int, labels: list[str]) -> bool:
        return hub.matching.media(jpeg(seed), labels=labels, principal=LOCAL_OPERATOR).matched

    assert listed(6, ["type:execution"]) and not listed(7, ["type:execution"])
    assert listed(7, ["type:execution,type:logo"])  # one facet: any of the values
    assert not listed(7, ["type:logo", "severity:high"])  # facets: all of them
    assert listed(6, ["type:execution", "severity:high"])


def test_relabelling_an_entry_is_audited_and_checked(hub: HashDB) -> None:
    hub.labels.add_terms("type", ["execution", "logo"], principal=LOCAL_OPERATOR)
    report = hub.adding.media(
        "terror", jpeg(8), EntryMetadata(labels=("type:logo",)), principal=LOCAL_OPERATOR
    )
    entry_id = report.added[0].entry_id
    entry = hub.labels.label_entry(
        entry_id, add=["type:execution"], remove=["type:logo"], principal=LOCAL_OPERATOR
    )
    assert entry.labels == ("type:execution",)
    with pytest.raises(InvalidLabel):
        hub.labels.label_entry(entry_id, add=["type:nope"], principal=LOCAL_OPERATOR)
    records = hub.store.audit_records(target_type="entry", target_id=str(entry_id))
    assert records[0].action == "entry.add"
    assert [(r.action, r.before, r.after) for r in records[1:]] == [
        ("entry.label", {"labels": ["type:logo"]}, {"labels": ["type:execution"]})
    ]
    # Removing a term from the vocabulary stops new uses and keeps old ones.
    hub.labels.remove_term("type:execution", principal=LOCAL_OPERATOR)
    assert hub.entries.get(entry_id, principal=LOCAL_OPERATOR).labels == ("type:execution",)
    with pytest.raises(InvalidLabel):
        hub.adding.media(
            "terror", jpeg(9), EntryMetadata(labels=("type:execution",)), principal=LOCAL_OPERATOR
        )
