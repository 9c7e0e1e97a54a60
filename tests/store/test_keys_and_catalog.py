"""API keys, list deletion and entry search against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hashdb.errors import Conflict, EntryNotFound, KeyNotFound, ListNotFound
from hashdb.identity import Role
from hashdb.store import NewEntry, NewList, Store
from hashdb.store.models import EntryQuery, NewApiKey


def test_keys_round_trip_and_revoke(store: Store) -> None:
    created = store.create_key(
        NewApiKey(name="p", role=Role.PLATFORM, prefix="hdb_abcdefgh", key_hash="f" * 64)
    )
    assert created.active and created.created_at.tzinfo is not None
    found = store.key_by_prefix("hdb_abcdefgh")
    assert found is not None and found.key_hash == "f" * 64 and found.role is Role.PLATFORM
    assert store.key_by_prefix("hdb_zzzzzzzz") is None
    revoked = store.revoke_key(created.id, "admin")
    assert not revoked.active and revoked.revoked_by == "admin"
    assert store.list_keys(include_revoked=False) == []
    with pytest.raises(Conflict):
        store.revoke_key(created.id, "admin")
    with pytest.raises(KeyNotFound):
        store.get_key(12345)


def test_only_a_list_that_never_held_an_entry_can_be_deleted(store: Store) -> None:
    store.create_list(NewList("empty"))
    full = store.create_list(NewList("full"))
    [outcome] = store.add_entries(full.id, [NewEntry("md5", b"\x01" * 16)])
    store.retire_entry(outcome.entry_id, "gone", None)
    with pytest.raises(Conflict):
        store.delete_list("full")  # a retired entry still counts: it is kept for audit
    seq = store.current_seq()
    store.delete_list("empty")
    assert store.current_seq() > seq
    with pytest.raises(ListNotFound):
        store.get_list("empty")


def test_search_entries_by_list_label_time_and_cursor(store: Store) -> None:
    a = store.create_list(NewList("a"))
    b = store.create_list(NewList("b"))
    store.add_entries(a.id, [NewEntry("md5", bytes([i]) * 16, label="x") for i in range(5)])
    store.add_entries(b.id, [NewEntry("md5", b"\xff" * 16, label="y")])
    page = store.search_entries(EntryQuery(list_name="a", limit=3))
    assert [e.list_name for e in page] == ["a"] * 3
    rest = store.search_entries(EntryQuery(list_name="a", after_id=page[-1].id, limit=3))
    assert len(rest) == 2 and rest[0].id > page[-1].id
    assert [e.label for e in store.search_entries(EntryQuery(label="y"))] == ["y"]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert store.search_entries(EntryQuery(added_after=future)) == []
    past = datetime.now(UTC) - timedelta(hours=1)
    assert len(store.search_entries(EntryQuery(added_after=past))) == 6
    with pytest.raises(ListNotFound):
        store.search_entries(EntryQuery(list_name="nope"))


def test_update_entry_label_and_note(store: Store) -> None:
    hash_list = store.create_list(NewList("l"))
    [outcome] = store.add_entries(hash_list.id, [NewEntry("md5", b"\x02" * 16, label="a")])
    updated = store.update_entry(outcome.entry_id, label="b")
    assert (updated.label, updated.note) == ("b", None)
    updated = store.update_entry(outcome.entry_id, note="why")
    assert (updated.label, updated.note) == ("b", "why")
    with pytest.raises(EntryNotFound):
        store.update_entry(987654, label="x")
