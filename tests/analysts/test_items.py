"""Items: the hashes of one piece of media are retired, restored and labelled as one, unless
an analyst asks for one hash alone; a raw hash added alone is an item of its own."""

from __future__ import annotations

import pytest

from hashdb.errors import Conflict, ItemNotFound
from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.store.models import ItemKind, ItemQuery, ItemScope, NewList, Sharing
from tests.analysts.conftest import ACME_ANALYST, BETA_ANALYST, BETA_PLATFORM, jpeg


def _algorithms(hub: HashDB, data: bytes) -> set[str]:
    return {m.algorithm for m in hub.matching.media(data, principal=LOCAL_OPERATOR).matches}


def test_retiring_the_pdq_entry_of_a_false_positive_stops_the_whole_file_matching(
    hub: HashDB,
) -> None:
    """The README's retire example: the known false positive's PDQ entry is retired, and the
    same file no longer matches by its MD5 or SHA-256 either."""
    report = hub.adding.media("terror", jpeg(1), EntryMetadata(), principal=LOCAL_OPERATOR)
    assert _algorithms(hub, jpeg(1)) >= {"pdq", "md5", "sha256"}
    pdq = next(added for added in report.added if added.algorithm == "pdq")
    hub.entries.retire(pdq.entry_id, "a stock photo", principal=LOCAL_OPERATOR)
    assert _algorithms(hub, jpeg(1)) == set()
    item = hub.items.get(pdq.item_id or 0, LOCAL_OPERATOR)
    assert not item.live and item.retired_reason == "a stock photo"
    assert all(entry.retired_reason == "a stock photo" for entry in item.entries)

    restored = hub.items.restore(item.id, principal=LOCAL_OPERATOR)
    assert restored.live and all(entry.live for entry in restored.entries)
    assert _algorithms(hub, jpeg(1)) >= {"pdq", "md5", "sha256"}
    with pytest.raises(Conflict):
        hub.items.restore(item.id, principal=LOCAL_OPERATOR)


def test_one_hash_alone_is_retired_when_asked(hub: HashDB) -> None:
    report = hub.adding.media("terror", jpeg(2), EntryMetadata(), principal=LOCAL_OPERATOR)
    pdq = next(added for added in report.added if added.algorithm == "pdq")
    hub.entries.retire(
        pdq.entry_id, "pdq collides", scope=ItemScope.ENTRY, principal=LOCAL_OPERATOR
    )
    found = _algorithms(hub, jpeg(2))
    assert "pdq" not in found and {"md5", "sha256"} <= found
    assert hub.items.get(pdq.item_id or 0, LOCAL_OPERATOR).live
    # Retiring the rest one by one leaves the item without a live hash: it is retired.
    for added in report.added:
        if added.entry_id != pdq.entry_id:
            hub.entries.retire(
                added.entry_id, "all gone", scope=ItemScope.ENTRY, principal=LOCAL_OPERATOR
            )
    item = hub.items.get(pdq.item_id or 0, LOCAL_OPERATOR)
    assert not item.live and item.retired_reason == "all gone"
    # Restoring undoes the item's retirement (its last hash), not the ones retired before.
    restored = hub.items.restore(item.id, principal=LOCAL_OPERATOR)
    assert [entry.id for entry in restored.entries if entry.live] == [report.added[-1].entry_id]


def test_media_is_one_item_and_each_raw_hash_its_own(hub: HashDB) -> None:
    media = hub.adding.media("terror", jpeg(3), EntryMetadata(), principal=LOCAL_OPERATOR)
    assert len({added.item_id for added in media.added}) == 1
    item = hub.items.get(media.added[0].item_id or 0, LOCAL_OPERATOR)
    assert item.kind is ItemKind.MEDIA and len(item.entries) == len(media.added)
    raw = hub.adding.hex(
        "terror", "md5", ["11" * 16, "22" * 16], EntryMetadata(), principal=LOCAL_OPERATOR
    )
    assert len({added.item_id for added in raw.added}) == 2
    assert hub.items.get(raw.added[0].item_id or 0, LOCAL_OPERATOR).kind is ItemKind.HASH
    # Every match names its item.
    matches = hub.matching.media(jpeg(3), principal=LOCAL_OPERATOR).matches
    assert {match.to_dict()["item_id"] for match in matches} == {item.id}


def test_relabelling_an_entry_relabels_its_item_unless_asked_not_to(hub: HashDB) -> None:
    hub.labels.add_terms("type", ["logo", "flag"], principal=LOCAL_OPERATOR)
    report = hub.adding.media("terror", jpeg(4), EntryMetadata(), principal=LOCAL_OPERATOR)
    first, second = report.added[0].entry_id, report.added[1].entry_id
    hub.labels.label_entry(first, ["type:logo"], principal=LOCAL_OPERATOR)
    hub.entries.update(first, label="group-x", principal=LOCAL_OPERATOR)
    item = hub.items.get(report.added[0].item_id or 0, LOCAL_OPERATOR)
    assert {entry.labels for entry in item.entries} == {("type:logo",)}
    assert {entry.label for entry in item.entries} == {"group-x"}
    hub.labels.label_entry(first, ["type:flag"], scope=ItemScope.ENTRY, principal=LOCAL_OPERATOR)
    assert hub.entries.get(second, LOCAL_OPERATOR).labels == ("type:logo",)
    assert hub.items.get(item.id, LOCAL_OPERATOR).labels == ("type:flag", "type:logo")
    found = hub.items.search(ItemQuery(label="type:flag"), LOCAL_OPERATOR)
    assert [found_item.id for found_item in found] == [item.id]
    assert [i.id for i in hub.items.search(ItemQuery(label="group-x"), LOCAL_OPERATOR)] == [item.id]


def test_a_hash_added_again_since_blocks_the_restore(hub: HashDB) -> None:
    (added,) = hub.adding.hex(
        "terror", "md5", ["33" * 16], EntryMetadata(), principal=LOCAL_OPERATOR
    ).added
    hub.items.retire(added.item_id or 0, "mistake", principal=LOCAL_OPERATOR)
    (again,) = hub.adding.hex(
        "terror", "md5", ["33" * 16], EntryMetadata(), principal=LOCAL_OPERATOR
    ).added
    assert again.created and again.item_id != added.item_id
    with pytest.raises(Conflict, match=f"live again in item {again.item_id}"):
        hub.items.restore(added.item_id or 0, principal=LOCAL_OPERATOR)


def test_another_organisation_never_sees_a_private_item(hub: HashDB) -> None:
    hub.lists.create(NewList("acme-private"), ACME_ANALYST, sharing=Sharing.PRIVATE)
    report = hub.adding.media("acme-private", jpeg(5), EntryMetadata(), principal=ACME_ANALYST)
    item_id = report.added[0].item_id or 0
    assert hub.items.get(item_id, ACME_ANALYST).list_name == "acme-private"
    for attempt in (
        lambda: hub.items.get(item_id, BETA_ANALYST),
        lambda: hub.items.detail(item_id, BETA_ANALYST),
        lambda: hub.items.retire(item_id, "x", principal=BETA_ANALYST),
        lambda: hub.items.restore(item_id, principal=BETA_ANALYST),
        lambda: hub.items.label(item_id, ["type:x"], principal=BETA_ANALYST),
    ):
        with pytest.raises(ItemNotFound):
            attempt()
    assert hub.items.search(ItemQuery(), BETA_ANALYST) == []
    assert [item.id for item in hub.items.search(ItemQuery(), ACME_ANALYST)] == [item_id]
    assert hub.matching.media(jpeg(5), principal=BETA_PLATFORM).matches == []
