"""The service end to end on a real SQLite file: add, match, explain, retire, refuse."""

from __future__ import annotations

import time
from contextlib import closing

import pytest
from PIL import Image

from hashdb.errors import InvalidHash, ListNotFound, MediaError
from hashdb.hashing import get_algorithm
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import ListAction, NewList
from hashdb.store.models import Sharing
from hashdb.testing.images import encode, jpeg, scene
from tests import event_loop

ANALYST = EntryMetadata(label="group-x/logo", note="seen in campaign 7", added_by="ana")


def test_re_encoded_and_resized_copies_match_with_explanation(service: HashDB) -> None:
    original = scene(1, (800, 600))
    report = service.adding.media(
        "terror", encode(original, "PNG"), ANALYST, principal=LOCAL_OPERATOR
    )
    assert report.created == 5 and not report.refused

    copy = encode(original.resize((400, 300)), "JPEG", quality=40)
    result = service.matching.media(copy, principal=LOCAL_OPERATOR)
    assert result.matched
    pdq = next(m for m in result.matches if m.algorithm == "pdq")
    assert pdq.list == "terror" and pdq.action is ListAction.BLOCK
    assert 0 < pdq.distance <= pdq.threshold == 31
    assert (pdq.label, pdq.note, pdq.added_by) == ("group-x/logo", "seen in campaign 7", "ana")
    assert pdq.entry_id in {added.entry_id for added in report.added}
    assert {m.algorithm for m in result.matches} == {"pdq"}  # not byte-identical: no md5/sha256


def test_exact_copy_matches_on_every_enabled_algorithm(service: HashDB) -> None:
    data = jpeg(2)
    service.adding.media("terror", data, ANALYST, principal=LOCAL_OPERATOR)
    algorithms = {
        m.algorithm for m in service.matching.media(data, principal=LOCAL_OPERATOR).matches
    }
    assert algorithms == {"pdq", "md5", "sha256"}


def test_unrelated_images_do_not_match(service: HashDB) -> None:
    for seed in range(10, 20):
        service.adding.media("terror", jpeg(seed), ANALYST, principal=LOCAL_OPERATOR)
    for seed in range(30, 45):
        assert not service.matching.media(jpeg(seed), principal=LOCAL_OPERATOR).matched


def test_phash_matches_only_on_lists_that_enable_it(service: HashDB) -> None:
    service.lists.create(NewList("pdq-only"), principal=LOCAL_OPERATOR)
    service.lists.create(
        NewList("with-phash", thresholds={"pdq": 31, "phash": 10}), principal=LOCAL_OPERATOR
    )
    phash = service.media.hash_bytes(jpeg(3)).get("phash")
    assert phash is not None
    service.adding.digests("pdq-only", [phash], ANALYST, principal=LOCAL_OPERATOR)
    service.adding.digests("with-phash", [phash], ANALYST, principal=LOCAL_OPERATOR)
    lists = {
        m.list
        for m in service.matching.media(
            encode(scene(3), "JPEG", quality=50), principal=LOCAL_OPERATOR
        ).matches
    }
    assert lists == {"with-phash"}


def test_per_list_thresholds_apply(service: HashDB) -> None:
    service.lists.create(NewList("strict", thresholds={"pdq": 0}), principal=LOCAL_OPERATOR)
    service.lists.create(NewList("loose", thresholds={"pdq": 40}), principal=LOCAL_OPERATOR)
    original = encode(scene(4), "PNG")
    service.adding.media("strict", original, ANALYST, principal=LOCAL_OPERATOR)
    service.adding.media("loose", original, ANALYST, principal=LOCAL_OPERATOR)
    lists = {
        m.list
        for m in service.matching.media(
            encode(scene(4), "JPEG", quality=35), principal=LOCAL_OPERATOR
        ).matches
    }
    assert lists == {"loose"}


def test_list_filter(service: HashDB) -> None:
    data = jpeg(5)
    service.adding.media("a", data, ANALYST, principal=LOCAL_OPERATOR)
    service.adding.media("b", data, ANALYST, principal=LOCAL_OPERATOR)
    assert {
        m.list for m in service.matching.media(data, lists=["b"], principal=LOCAL_OPERATOR).matches
    } == {"b"}
    with pytest.raises(ListNotFound):
        service.matching.media(data, lists=["typo"], principal=LOCAL_OPERATOR)


def test_retired_entries_stop_matching_at_once(service: HashDB) -> None:
    data = jpeg(6)
    report = service.adding.media("terror", data, ANALYST, principal=LOCAL_OPERATOR)
    assert service.matching.media(data, principal=LOCAL_OPERATOR).matched
    # Retiring one of its hashes retires the whole item: every hash of the file.
    service.entries.retire(
        report.added[0].entry_id, "news footage", "reviewer", principal=LOCAL_OPERATOR
    )
    assert not service.matching.media(data, principal=LOCAL_OPERATOR).matched
    entry = service.entries.get(report.added[0].entry_id, principal=LOCAL_OPERATOR)
    assert entry.retired_reason == "news footage" and entry.retired_by == "reviewer"


def test_a_second_service_sees_new_entries_after_refresh(settings: Settings) -> None:
    reader, writer = HashDB(settings), HashDB(settings)
    data = jpeg(7)
    assert not reader.matching.media(data, principal=LOCAL_OPERATOR).matched  # index loaded, empty
    writer.adding.media("terror", data, ANALYST, principal=LOCAL_OPERATOR)
    assert reader.matching.media(
        data, principal=LOCAL_OPERATOR
    ).matched  # refresh_interval=0: follows the change feed
    reader.close()
    writer.close()


def test_adding_twice_is_idempotent(service: HashDB) -> None:
    data = jpeg(8)
    first = service.adding.media("terror", data, ANALYST, principal=LOCAL_OPERATOR)
    second = service.adding.media("terror", data, ANALYST, principal=LOCAL_OPERATOR)
    assert second.created == 0
    assert [a.entry_id for a in first.added] == [a.entry_id for a in second.added]
    assert service.store.count_entries() == 5


def test_flat_images_keep_exact_hashes_only(service: HashDB) -> None:
    flat = encode(Image.new("RGB", (300, 300), (120, 120, 120)), "PNG")
    report = service.adding.media("terror", flat, ANALYST, principal=LOCAL_OPERATOR)
    assert {a.algorithm for a in report.added} == {"md5", "sha256"}
    assert {r.algorithm for r in report.refused} == {"pdq", "phash", "dhash"}
    assert all(r.code == "low_quality" for r in report.refused)
    forced = service.adding.media("forced", flat, ANALYST, force=True, principal=LOCAL_OPERATOR)
    assert len(forced.added) == 5


def test_degenerate_raw_hash_is_refused_unless_forced(service: HashDB) -> None:
    report = service.adding.hex(
        "partner", "pdq", ["0" * 64, "f" * 64], ANALYST, principal=LOCAL_OPERATOR
    )
    assert not report.added and [r.code for r in report.refused] == ["degenerate_hash"] * 2
    assert service.store.count_entries() == 0
    forced = service.adding.hex(
        "partner", "pdq", ["0" * 64], ANALYST, force=True, principal=LOCAL_OPERATOR
    )
    assert forced.created == 1


def test_malformed_raw_hash_writes_nothing(service: HashDB) -> None:
    good = service.media.hash_bytes(jpeg(9)).get("pdq")
    assert good is not None
    with pytest.raises(InvalidHash):
        service.adding.hex(
            "partner", "pdq", [good.hex, "not-a-hash"], ANALYST, principal=LOCAL_OPERATOR
        )
    assert service.store.count_entries() == 0
    assert [hash_list.name for hash_list in service.lists.visible(principal=LOCAL_OPERATOR)] == []


def test_raw_partner_hash_matches_media(service: HashDB) -> None:
    pdq = service.media.hash_bytes(jpeg(11)).get("pdq")
    assert pdq is not None
    service.adding.hex("partner", "pdq", [pdq.hex.upper()], ANALYST, principal=LOCAL_OPERATOR)
    matches = service.matching.media(
        encode(scene(11), "JPEG", quality=60), principal=LOCAL_OPERATOR
    ).matches
    assert [m.list for m in matches] == ["partner"]
    assert matches[0].entry_hash == pdq.hex


def test_bad_media_raises_typed_errors(service: HashDB) -> None:
    for data in (b"", b"not an image", jpeg(12)[:500]):
        with pytest.raises(MediaError):
            service.matching.media(data, principal=LOCAL_OPERATOR)
    assert service.store.count_entries() == 0


def test_the_audit_record_of_an_add_is_the_entry_as_stored(service: HashDB) -> None:
    """An add audits each new entry without reading it back: what the record keeps must be
    exactly what a later read of the entry shows, on either backend."""
    service.labels.add_terms("type", ["logo", "manual"], principal=LOCAL_OPERATOR)
    metadata = EntryMetadata(
        label="group-x/logo",
        note="two\nlines",
        added_by="ana",
        source="https://example.org/a",
        labels=("Type:Manual", "type:logo"),
        organisation="acme",
    )
    media = service.adding.media("terror", jpeg(4), metadata, principal=LOCAL_OPERATOR)
    raw = service.adding.hex(
        "terror", "pdq", ["ab" * 32, "AB" * 32, "cd" * 32], metadata, principal=LOCAL_OPERATOR
    )
    created = [added for added in [*media.added, *raw.added] if added.created]
    assert len(created) == 5 + 2  # the second spelling of "ab…" is the first entry again
    records = {
        record.target_id: record
        for record in service.audit.records(LOCAL_OPERATOR, target_type="entry")
        if record.action == "entry.add"
    }
    for added in created:
        stored = service.entries.get(added.entry_id, principal=LOCAL_OPERATOR)
        assert records[str(added.entry_id)].after == stored.to_dict()
        assert stored.labels == ("type:logo", "type:manual")
        assert stored.item_id == added.item_id


def test_a_lookup_answers_in_place_only_where_it_need_not_wait_on_the_database(
    db_url: str,
) -> None:
    """The API answers a small lookup on its event loop only where it cannot wait on a
    network: any current lookup over a SQLite file; on PostgreSQL one that reads nothing (no
    match, or a match explained by a cached entry). Otherwise it is asked from a thread."""
    postgres = db_url.startswith("postgresql")
    md5 = "5d41402abc4b2a76b9719d911017c592"
    with closing(HashDB(Settings(db=db_url))) as analyst:
        analyst.adding.hex("terror", "md5", [md5], ANALYST, principal=LOCAL_OPERATOR)
    service = HashDB(Settings(db=db_url, refresh_interval=0.05))  # a worker: nothing cached
    try:
        service.warm_up()
        known = get_algorithm("md5").parse(md5)
        unknown = get_algorithm("md5").parse("0" * 31 + "1")
        deadline = time.monotonic() + 10
        while not service.matching.index_current() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.matching.index_current()

        missed = service.matching.begin_lookup([unknown], principal=LOCAL_OPERATOR)
        assert missed.in_place and not missed.finish()[0].matches
        begun = service.matching.begin_lookup([known], principal=LOCAL_OPERATOR)
        assert begun.in_place is not postgres  # on PostgreSQL the entry must be read: a thread
        first = begun.finish()
        assert first[0].matches[0].hash_list.name == "terror"
        again = service.matching.begin_lookup([known], principal=LOCAL_OPERATOR)
        assert again.in_place and again.finish()[0].matches == first[0].matches
        batch = service.matching.begin_lookup([known], principal=LOCAL_OPERATOR, in_place=False)
        assert not batch.in_place and batch.finish()[0].matches == first[0].matches
    finally:
        service.close()


def _current_worker(db_url: str) -> HashDB:
    """A server's worker: follows changes in the background, nothing cached yet."""
    service = HashDB(Settings(db=db_url, refresh_interval=0.05))
    service.warm_up()
    _wait_until_current(service)
    return service


def _wait_until_current(service: HashDB) -> None:
    deadline = time.monotonic() + 10
    while not service.matching.index_current() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert service.matching.index_current()


def _wait_until_seen(service: HashDB, seq: int) -> None:
    """Until the worker's change watcher has seen change ``seq`` (a lookup then applies it)."""
    watcher = service.pipeline.watcher
    assert watcher is not None
    deadline = time.monotonic() + 10
    while watcher.latest < seq and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watcher.latest >= seq


def test_a_lookup_carried_to_a_thread_reads_its_entries_as_they_are_then(db_url: str) -> None:
    """On PostgreSQL a hit begun on the event loop hands its index answer to a worker thread,
    which reads the entries: an entry retired in between is not reported, and the lists stay
    those the caller may see (on SQLite the lookup runs whole, where it began)."""
    md5 = "5d41402abc4b2a76b9719d911017c592"
    a = Principal("a-platform", Role.PLATFORM, "org-a")
    b = Principal("b-platform", Role.PLATFORM, "org-b")
    with closing(HashDB(Settings(db=db_url))) as analyst:
        for name in ("org-a", "org-b"):
            analyst.organisations.create(name, principal=LOCAL_OPERATOR)
        analyst.lists.create(
            NewList("a-only"), LOCAL_OPERATOR, sharing=Sharing.PRIVATE, owner="org-a"
        )
        analyst.adding.hex("a-only", "md5", [md5], ANALYST, principal=LOCAL_OPERATOR)
        report = analyst.adding.hex("shared", "md5", [md5], ANALYST, principal=LOCAL_OPERATOR)
    known = get_algorithm("md5").parse(md5)
    worker = _current_worker(db_url)
    try:
        seen_by_b = worker.matching.begin_lookup([known], principal=b)
        seen_by_a = worker.matching.begin_lookup([known], principal=a)
        assert [m.list for m in seen_by_b.finish()[0].matches] == ["shared"]
        assert sorted(m.list for m in seen_by_a.finish()[0].matches) == ["a-only", "shared"]

        # Retired after the index query, before the read: the read sees it retired.
        worker.pipeline.indexes._forget_entry(report.added[0].entry_id)  # as a new worker
        begun = worker.matching.begin_lookup([known], principal=b)
        assert begun.in_place is not db_url.startswith("postgresql")
        with closing(HashDB(Settings(db=db_url))) as analyst:
            entry_id = report.added[0].entry_id
            analyst.entries.retire(entry_id, "false positive", "ana", principal=LOCAL_OPERATOR)
        assert not begun.finish()[0].matches

        # An allow entry the follower has seen suppresses the match, on the loop or not.
        with closing(HashDB(Settings(db=db_url))) as analyst:
            analyst.adding.hex("shared", "md5", [md5], ANALYST, principal=LOCAL_OPERATOR)
            analyst.lists.create(NewList("news", action=ListAction.ALLOW), LOCAL_OPERATOR)
            analyst.adding.hex("news", "md5", [md5], ANALYST, principal=LOCAL_OPERATOR)
            seq = analyst.store.current_seq()
        _wait_until_seen(worker, seq)
        for caller in (a, b):
            (result,) = worker.matching.begin_lookup([known], principal=caller).finish()
            assert not result.matches and [m.list for m in result.allowed_by] == ["news"]
    finally:
        worker.close()


def test_a_hit_on_postgresql_awaits_its_entries_on_the_event_loop(db_url: str) -> None:
    """On PostgreSQL a hit begun on the event loop can await its entries there instead of in
    a thread: the same answer, read as it is when awaited (an entry retired meanwhile is not
    reported), over connections that survive a new event loop and a dropped connection."""
    md5 = "5d41402abc4b2a76b9719d911017c592"
    with closing(HashDB(Settings(db=db_url))) as analyst:
        report = analyst.adding.hex("terror", "md5", [md5], ANALYST, principal=LOCAL_OPERATOR)
        analyst.adding.hex("other", "md5", [md5], ANALYST, principal=LOCAL_OPERATOR)
    known = get_algorithm("md5").parse(md5)
    worker = _current_worker(db_url)
    try:
        begun = worker.matching.begin_lookup([known], principal=LOCAL_OPERATOR)
        if not db_url.startswith("postgresql"):
            assert begun.in_place and begun.finish_async is None
            return
        assert not begun.in_place and begun.finish_async is not None
        awaited = event_loop.run(begun.finish_async())
        assert awaited == begun.finish()
        assert sorted(m.list for m in awaited[0].matches) == ["other", "terror"]

        worker.pipeline.indexes._forget_entry(report.added[0].entry_id)
        begun = worker.matching.begin_lookup([known], principal=LOCAL_OPERATOR)
        with closing(HashDB(Settings(db=db_url))) as analyst:
            entry_id = report.added[0].entry_id
            analyst.entries.retire(entry_id, "false positive", "ana", principal=LOCAL_OPERATOR)
        assert begun.finish_async is not None
        (result,) = event_loop.run(begun.finish_async())
        assert [m.list for m in result.matches] == ["other"]
    finally:
        worker.close()
