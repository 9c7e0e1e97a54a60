"""A hash added by one process matches in another process within one second, and a
follower with a change watcher asks the database nothing while nothing changes."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
import sqlalchemy as sa

from hashdb.hashing import Digest
from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.indexes import HashIndexes
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import NewEntry, open_store
from tests.workers import FRESH_VALUE, add_then_retire

VALUE = FRESH_VALUE
FAR = bytes(255 - b for b in FRESH_VALUE)


@pytest.mark.slow
def test_an_add_and_a_retirement_in_another_process_are_seen_within_a_second(
    db_url: str,
) -> None:
    store = open_store(db_url)
    store.ensure_list("fresh")
    # A big index first, so that freshness is not just a cheap rebuild of a tiny one.
    store.add_entries(
        store.get_list("fresh").id,
        [NewEntry("pdq", (i + 1).to_bytes(4, "big") * 8) for i in range(3_000)],
    )
    watcher = store.watch(0.2)
    matcher = HashIndexes(store, refresh_interval=0.2, watcher=watcher)
    near = Digest("pdq", bytes([VALUE[0] ^ 0x03]) + VALUE[1:])  # 2 bits away
    assert matcher.match([near]) == []
    context = multiprocessing.get_context("spawn")
    added, retire = context.Event(), context.Event()
    writer = context.Process(target=add_then_retire, args=(db_url, added, retire))
    writer.start()
    assert added.wait(60), "the writer process did not add its hash"
    seen = time.monotonic()
    while not matcher.match([near]):
        assert time.monotonic() - seen < 1.0, "the new hash did not match within one second"
        time.sleep(0.02)
    (match,) = matcher.match([near])
    assert (match.distance, match.label) == (2, "new")
    retire.set()
    writer.join(30)
    assert writer.exitcode == 0
    gone = time.monotonic()
    while matcher.match([near]):
        assert time.monotonic() - gone < 1.0, "the retirement was not seen within one second"
        time.sleep(0.02)
    watcher.close()
    store.close()


def test_a_watched_follower_runs_no_query_while_nothing_changes(db_url: str) -> None:
    settings = Settings(db=db_url, refresh_interval=0.2)
    service = HashDB(settings)
    statements: list[str] = []
    try:
        service.adding.hex(
            "watched", "pdq", [VALUE.hex()], EntryMetadata(label="a"), principal=LOCAL_OPERATOR
        )
        near = Digest("pdq", bytes([VALUE[0] ^ 0x01]) + VALUE[1:])
        (first,) = service.matching.lookup([near], principal=LOCAL_OPERATOR)
        assert first.matches  # loads, then follows
        engine = service.store.engine  # type: ignore[attr-defined]

        requests = threading.get_ident()

        def record(*args: object) -> None:
            if threading.get_ident() == requests:  # not the watcher's own thread
                statements.append(str(args[2]))

        sa.event.listen(engine, "before_cursor_execute", record)
        for _ in range(50):
            assert service.matching.lookup([near], principal=LOCAL_OPERATOR)[0].matches
        assert statements == []  # nothing changed: no round trip
        sa.event.remove(engine, "before_cursor_execute", record)
        # This process's own writes are seen by the very next request: a new hash, a relabel.
        service.adding.hex(
            "watched", "pdq", [FAR.hex()], EntryMetadata(label="b"), principal=LOCAL_OPERATOR
        )
        assert service.matching.lookup([Digest("pdq", FAR)], principal=LOCAL_OPERATOR)[0].matches
        (match,) = service.matching.lookup([near], principal=LOCAL_OPERATOR)[0].matches
        service.entries.update(match.entry_id, label="relabelled", principal=LOCAL_OPERATOR)
        assert (
            service.matching.lookup([near], principal=LOCAL_OPERATOR)[0].matches[0].label
            == "relabelled"
        )
        # Another process's relabel is seen within a second, with nothing else changing.
        other = HashDB(Settings(db=db_url, refresh_interval=0))
        other.entries.update(match.entry_id, label="again", principal=LOCAL_OPERATOR)
        other.close()
        seen = time.monotonic()
        while (
            service.matching.lookup([near], principal=LOCAL_OPERATOR)[0].matches[0].label != "again"
        ):
            assert time.monotonic() - seen < 1.0, "the relabel was not seen within one second"
            time.sleep(0.02)
    finally:
        service.close()
