"""Organisations, list ownership and sharing, and provenance, enforced in the service."""

from __future__ import annotations

import pytest

from hashdb.errors import EntryNotFound, Forbidden, ListNameTaken, ListNotFound
from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import NewList
from hashdb.store.models import Sharing
from hashdb.testing.images import encode, scene
from tests.analysts.conftest import (
    ACME_ANALYST,
    ACME_PLATFORM,
    BETA_ANALYST,
    BETA_PLATFORM,
    jpeg,
)


def test_shared_read_list_matches_for_all_but_only_owner_writes(hub: HashDB) -> None:
    hub.lists.create(NewList("acme-terror"), ACME_ANALYST, sharing=Sharing.SHARED_READ)
    report = hub.adding.media(
        "acme-terror",
        jpeg(1),
        EntryMetadata(note="campaign 7", source="https://example.org/v/1"),
        principal=ACME_ANALYST,
    )
    entry = hub.entries.get(report.added[0].entry_id, BETA_PLATFORM)
    assert (entry.organisation, entry.added_by) == ("acme", "ana")
    assert entry.source == "https://example.org/v/1" and entry.source_sha256 is not None

    matches = hub.matching.media(encode(scene(1), "JPEG", quality=50), principal=BETA_PLATFORM)
    assert {(m.list, m.organisation, m.source) for m in matches.matches} == {
        ("acme-terror", "acme", "https://example.org/v/1")
    }
    with pytest.raises(Forbidden):
        hub.adding.media("acme-terror", jpeg(2), EntryMetadata(), principal=BETA_ANALYST)
    with pytest.raises(Forbidden):
        hub.entries.retire(entry.id, "not yours", principal=BETA_ANALYST)
    with pytest.raises(Forbidden):  # a platform key never writes, even to its own lists
        hub.adding.media("acme-terror", jpeg(3), EntryMetadata(), principal=ACME_PLATFORM)
    assert hub.store.count_entries() == 5


def test_shared_write_list_takes_entries_from_every_member(hub: HashDB) -> None:
    hub.lists.create(NewList("joint"), ACME_ANALYST, sharing=Sharing.SHARED_WRITE)
    added = hub.adding.media("joint", jpeg(4), EntryMetadata(), principal=BETA_ANALYST)
    entry = hub.entries.get(added.added[0].entry_id, principal=LOCAL_OPERATOR)
    assert entry.organisation == "beta"
    retired = hub.entries.retire(entry.id, "duplicate", principal=ACME_ANALYST)
    assert retired.retired_by == "ana" and not retired.live


def test_private_list_is_invisible_to_other_organisations(hub: HashDB) -> None:
    hub.lists.create(NewList("acme-private"), ACME_ANALYST, sharing=Sharing.PRIVATE)
    report = hub.adding.media("acme-private", jpeg(5), EntryMetadata(), principal=ACME_ANALYST)
    entry_id = report.added[0].entry_id

    assert hub.matching.media(jpeg(5), principal=ACME_PLATFORM).matched
    assert not hub.matching.media(jpeg(5), principal=BETA_PLATFORM).matched
    assert "acme-private" not in {hash_list.name for hash_list in hub.lists.visible(BETA_ANALYST)}
    assert "acme-private" in {hash_list.name for hash_list in hub.lists.visible(ACME_PLATFORM)}
    with pytest.raises(ListNotFound):
        hub.lists.get("acme-private", BETA_ANALYST)
    with pytest.raises(ListNotFound):  # naming it in a filter does not reveal it either
        hub.matching.media(jpeg(5), ["acme-private"], principal=BETA_PLATFORM)
    with pytest.raises(EntryNotFound):
        hub.entries.get(entry_id, BETA_ANALYST)
    # Adding to it (which would create a list of that name) finds the name taken, and says
    # no more than that: neither the owner nor the sharing.
    with pytest.raises(ListNameTaken, match=r"^a list named 'acme-private' already exists$"):
        hub.adding.media("acme-private", jpeg(6), EntryMetadata(), principal=BETA_ANALYST)
    # The local operator (no organisation) sees everything.
    assert hub.matching.media(jpeg(5), principal=LOCAL_OPERATOR).matched


def test_sharing_changes_apply_at_once_and_are_audited(hub: HashDB) -> None:
    hub.lists.create(NewList("news"), ACME_ANALYST, sharing=Sharing.PRIVATE)
    hub.adding.media("news", jpeg(7), EntryMetadata(), principal=ACME_ANALYST)
    assert not hub.matching.media(jpeg(7), principal=BETA_PLATFORM).matched
    with pytest.raises(ListNotFound):
        hub.sharing.update("news", BETA_ANALYST, sharing=Sharing.SHARED_READ)
    hub.sharing.update("news", ACME_ANALYST, sharing=Sharing.SHARED_READ)
    assert hub.matching.media(jpeg(7), principal=BETA_PLATFORM).matched
    with pytest.raises(Forbidden):  # visible now, but only its owner manages it
        hub.sharing.update("news", BETA_ANALYST, sharing=Sharing.PRIVATE)

    records = hub.store.audit_records(target_type="list", target_id="news")
    assert [r.action for r in records] == ["list.create", "list.settings"]
    assert records[1].actor == "ana@acme"
    assert records[1].before is not None and records[1].before["sharing"] == "private"
    assert records[1].after is not None and records[1].after["sharing"] == "shared-read"


def test_a_second_process_sees_sharing_changes(hub: HashDB, db_url: str) -> None:
    hub.lists.create(NewList("later"), ACME_ANALYST, sharing=Sharing.PRIVATE)
    hub.adding.media("later", jpeg(8), EntryMetadata(), principal=ACME_ANALYST)
    other = HashDB(Settings(db=db_url, refresh_interval=0))
    try:
        assert not other.matching.media(jpeg(8), principal=BETA_PLATFORM).matched
        hub.sharing.update("later", ACME_ANALYST, sharing=Sharing.SHARED_READ)
        assert other.matching.media(jpeg(8), principal=BETA_PLATFORM).matched
    finally:
        other.close()


def test_organisations_cannot_claim_each_others_entries_or_lists(hub: HashDB) -> None:
    with pytest.raises(Forbidden):
        hub.lists.create(NewList("fake"), BETA_ANALYST, owner="acme")
    hub.lists.create(NewList("beta-list"), BETA_ANALYST)
    with pytest.raises(Forbidden):
        hub.adding.media(
            "beta-list", jpeg(9), EntryMetadata(organisation="acme"), principal=BETA_ANALYST
        )
    # Lists an organisation creates implicitly on add are its own, shared read-only.
    hub.adding.media("auto", jpeg(10), EntryMetadata(), principal=BETA_ANALYST)
    settings = hub.sharing.settings("auto", principal=LOCAL_OPERATOR)
    assert (settings.owner, settings.sharing) == ("beta", Sharing.SHARED_READ)
    assert {org.name for org in hub.organisations.list(principal=LOCAL_OPERATOR)} == {"beta"}


def test_deployment_lists_are_read_by_all_and_written_by_the_operator(hub: HashDB) -> None:
    hub.adding.media(
        "global",
        jpeg(11),
        EntryMetadata(organisation="gifct", added_by="op"),
        principal=LOCAL_OPERATOR,
    )
    entry = hub.entries.get(
        hub.matching.media(jpeg(11), principal=LOCAL_OPERATOR).matches[0].entry_id,
        principal=LOCAL_OPERATOR,
    )
    assert entry.organisation == "gifct"
    assert hub.matching.media(jpeg(11), principal=BETA_PLATFORM).matched
    with pytest.raises(Forbidden):
        hub.adding.media("global", jpeg(12), EntryMetadata(), principal=BETA_ANALYST)


def test_default_sharing_is_a_setting(db_url: str) -> None:
    service = HashDB(Settings(db=db_url, refresh_interval=0, default_sharing="private"))
    try:
        service.adding.media("quiet", jpeg(13), EntryMetadata(), principal=ACME_ANALYST)
        assert (
            service.sharing.settings("quiet", principal=LOCAL_OPERATOR).sharing is Sharing.PRIVATE
        )
        assert not service.matching.media(jpeg(13), principal=BETA_PLATFORM).matched
    finally:
        service.close()


def test_a_list_with_sharing_settings_and_a_video_rule_can_be_deleted(hub: HashDB) -> None:
    hub.lists.create(NewList("to-delete"), ACME_ANALYST, sharing=Sharing.PRIVATE)
    hub.sharing.update("to-delete", ACME_ANALYST, review_radius={"pdq": 40})
    hub.lists.set_video_rule("to-delete", 0.3, 0.1, principal=ACME_ANALYST)
    hub.lists.delete("to-delete", ACME_ANALYST)
    with pytest.raises(ListNotFound):
        hub.lists.get("to-delete", ACME_ANALYST)
    # The name is free again, with none of the old settings.
    hub.lists.create(NewList("to-delete"), BETA_ANALYST)
    settings = hub.sharing.settings("to-delete", BETA_ANALYST)
    assert settings.owner == "beta" and settings.review_radius == {}
