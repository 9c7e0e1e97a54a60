"""The store contract, run against SQLite and the real PostgreSQL server."""

from __future__ import annotations

import os

import pytest

from hashdb.errors import Conflict, EntryNotFound, InvalidValue, ListNotFound, UnknownAlgorithm
from hashdb.store import ChangeKind, ListAction, NewEntry, NewList, Store, open_store


def _pdq(seed: int) -> bytes:
    return bytes((seed * 37 + i * 11) % 256 for i in range(32))


def test_reopening_keeps_data_and_schema(db_url: str) -> None:
    first = open_store(db_url)
    hash_list = first.ensure_list("terror")
    first.add_entries(hash_list.id, [NewEntry("pdq", _pdq(1))])
    first.close()
    second = open_store(db_url)
    assert second.count_entries(second.get_list("terror").id) == 1
    second.close()


def test_lists_create_get_update(store: Store) -> None:
    created = store.create_list(NewList("news", "test list", ListAction.REVIEW, {"pdq": 20}))
    assert created.thresholds == {"pdq": 20}
    assert store.get_list("news").action is ListAction.REVIEW
    updated = store.update_list("news", action=ListAction.LOG, thresholds={"pdq": 25, "phash": 8})
    assert updated.action is ListAction.LOG
    assert updated.thresholds == {"pdq": 25, "phash": 8}
    assert [hash_list.name for hash_list in store.lists()] == ["news"]
    with pytest.raises(Conflict):
        store.create_list(NewList("news"))
    with pytest.raises(ListNotFound):
        store.get_list("missing")


def test_new_list_defaults_enable_pdq_and_exact_hashes_only(store: Store) -> None:
    assert store.create_list(NewList("defaults")).thresholds == {"pdq": 31, "md5": 0, "sha256": 0}


@pytest.mark.parametrize("thresholds", [{"pdq": -1}, {"pdq": 129}, {"sha256": 3}, {"phash": 33}])
def test_out_of_range_thresholds_are_refused(store: Store, thresholds: dict[str, int]) -> None:
    with pytest.raises(InvalidValue):
        store.create_list(NewList("bad", thresholds=thresholds))


def test_unknown_algorithm_threshold_is_refused(store: Store) -> None:
    with pytest.raises(UnknownAlgorithm):
        store.create_list(NewList("bad", thresholds={"sift": 3}))


def test_adding_the_same_hash_twice_is_idempotent(store: Store) -> None:
    hash_list = store.ensure_list("terror")
    first = store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(1)), NewEntry("pdq", _pdq(1))])
    assert first[0].created and not first[1].created
    assert first[0].entry_id == first[1].entry_id
    again = store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(1))])
    assert again[0].entry_id == first[0].entry_id and not again[0].created
    assert store.count_entries(hash_list.id) == 1


def test_same_hash_in_two_lists_is_two_entries(store: Store) -> None:
    one, two = store.ensure_list("one"), store.ensure_list("two")
    a = store.add_entries(one.id, [NewEntry("pdq", _pdq(1))])[0]
    b = store.add_entries(two.id, [NewEntry("pdq", _pdq(1))])[0]
    assert a.entry_id != b.entry_id


def test_retire_keeps_history_and_allows_re_adding(store: Store) -> None:
    hash_list = store.ensure_list("terror")
    entry_id = store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(2), label="x")])[0].entry_id
    retired = store.retire_entry(entry_id, "news footage, not propaganda", "analyst1")
    assert retired.retired_reason == "news footage, not propaganda"
    assert retired.retired_by == "analyst1"
    assert not retired.live
    assert store.count_entries(hash_list.id) == 0
    assert store.count_entries(hash_list.id, live_only=False) == 1
    with pytest.raises(Conflict):
        store.retire_entry(entry_id, "again", None)
    readded = store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(2))])[0]
    assert readded.created and readded.entry_id != entry_id


def test_retire_needs_a_reason_and_an_existing_entry(store: Store) -> None:
    hash_list = store.ensure_list("terror")
    entry_id = store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(3))])[0].entry_id
    with pytest.raises(InvalidValue):
        store.retire_entry(entry_id, "  ", None)
    with pytest.raises(EntryNotFound):
        store.retire_entry(999_999, "reason", None)


def test_change_feed_orders_adds_and_retirements(store: Store) -> None:
    start = store.current_seq()
    hash_list = store.ensure_list("terror")
    entry_id = store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(4))])[0].entry_id
    store.retire_entry(entry_id, "false positive", None)
    changes = store.changes_since(start)
    kinds = [(change.kind, change.entry_id) for change in changes]
    assert kinds == [
        (ChangeKind.LIST, None),
        (ChangeKind.ADD, entry_id),
        (ChangeKind.RETIRE, entry_id),
    ]
    assert [c.seq for c in changes] == sorted(c.seq for c in changes)
    assert changes[1].value == _pdq(4) and changes[1].algorithm == "pdq"
    assert store.current_seq() == changes[-1].seq


def test_live_hashes_skip_retired_entries(store: Store) -> None:
    hash_list = store.ensure_list("terror")
    outcomes = store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(i)) for i in range(5)])
    store.retire_entry(outcomes[0].entry_id, "fp", None)
    batches = list(store.iter_live_hashes("pdq", batch_size=2))
    ids = [entry_id for batch in batches for entry_id in batch.ids]
    assert ids == [outcome.entry_id for outcome in outcomes[1:]]
    assert max(len(batch.ids) for batch in batches) <= 2


def test_failed_transaction_writes_nothing(store: Store) -> None:
    hash_list = store.ensure_list("terror")
    with pytest.raises(RuntimeError), store.transaction():
        store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(9))])
        raise RuntimeError("crash mid-write")
    assert store.count_entries(hash_list.id) == 0


def test_audit_log_round_trip(store: Store) -> None:
    store.record_audit("ana", "entry.retire", "entry", "7", {"live": True}, {"live": False})
    records = store.audit_records(target_type="entry", target_id="7")
    assert len(records) == 1
    assert records[0].actor == "ana" and records[0].after == {"live": False}


def test_audit_rows_are_read_back_in_their_transaction_and_die_with_it(store: Store) -> None:
    with store.transaction():
        for target in ("1", "2", "3"):
            store.record_audit("ana", "entry.add", "entry", target, None, {"n": target})
        inside = store.audit_records(target_type="entry")
        store.record_audit("ana", "entry.add", "entry", "4")
    assert [record.target_id for record in inside] == ["1", "2", "3"]
    assert [r.target_id for r in store.audit_records(target_type="entry")] == ["1", "2", "3", "4"]
    with pytest.raises(RuntimeError), store.transaction():
        store.record_audit("ana", "entry.add", "entry", "5")
        raise RuntimeError("crash before commit")
    assert len(store.audit_records(target_type="entry")) == 4


def test_a_batch_add_reports_each_hash_in_order(store: Store) -> None:
    """New, already live and repeated hashes in one call; ids match what the store holds."""
    hash_list = store.ensure_list("terror")
    (first,) = store.add_entries(hash_list.id, [NewEntry("pdq", _pdq(1))])
    batch = [
        NewEntry("pdq", _pdq(2), labels=()),
        NewEntry("pdq", _pdq(1)),
        NewEntry("md5", _pdq(3)[:16]),
        NewEntry("pdq", _pdq(2)),
    ]
    outcomes = store.add_entries(hash_list.id, batch)
    assert [outcome.created for outcome in outcomes] == [True, False, True, False]
    assert outcomes[1].entry_id == first.entry_id
    assert outcomes[3].entry_id == outcomes[0].entry_id
    held = store.get_entries([outcome.entry_id for outcome in outcomes])
    for new, outcome in zip(batch, outcomes, strict=True):
        assert (held[outcome.entry_id].algorithm, held[outcome.entry_id].value) == (
            new.algorithm,
            new.value,
        )
    added = [c.entry_id for c in store.changes_since(0) if c.kind is ChangeKind.ADD]
    assert added == [first.entry_id, outcomes[0].entry_id, outcomes[2].entry_id]


def test_entries_read_alone_and_in_a_transaction_are_the_same(store: Store) -> None:
    """A lookup's read of its entries (outside any transaction: on PostgreSQL the driver's own
    cursor, not SQLAlchemy's) gives what the same read inside a write transaction gives:
    every field, labels in order, retirement, and unknown ids left out."""
    hash_list = store.ensure_list("terror")
    full = NewEntry(
        "pdq",
        _pdq(4),
        quality=90,
        source_sha256="ab" * 32,
        label="logo",
        note="a note",
        added_by="ana",
        organisation="org-a",
        source="case 12",
        labels=("type:recruitment", "severity:high"),
    )
    outcomes = store.add_entries(hash_list.id, [full, NewEntry("md5", _pdq(5)[:16])])
    ids = [outcome.entry_id for outcome in outcomes]
    store.retire_entry(ids[1], "false positive", "ben")
    alone = store.get_entries([*ids, 10_000_000, ids[0]])
    with store.transaction():
        inside = store.get_entries([*ids, 10_000_000, ids[0]])
    assert alone == inside and set(alone) == set(ids)
    first, retired = alone[ids[0]], alone[ids[1]]
    assert first.labels == ("severity:high", "type:recruitment")
    assert (first.value, first.quality, first.note, first.source) == (
        _pdq(4),
        90,
        "a note",
        "case 12",
    )
    assert first.list_name == "terror" and first.added_at.tzinfo is not None
    assert not retired.live and retired.retired_by == "ben"
    assert store.get_entries([ids[1]]) == {ids[1]: retired}  # one id: a statement of its own


@pytest.mark.skipif(os.name != "posix", reason="posix paths")
def test_missing_folder_is_a_clear_error(tmp_path: object) -> None:
    from hashdb.errors import StoreUnavailable

    with pytest.raises(StoreUnavailable):
        open_store("/nonexistent-folder/x/hashdb.sqlite")
