"""Several real processes writing and following the change sequence at once, on both backends.

Writers serialise on the database (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so
sequence numbers commit in order: a follower that only ever asks for changes after the last
one it saw must, in the end, have seen every entry exactly once.
"""

from __future__ import annotations

import multiprocessing
import time

import pytest

from hashdb.store import ChangeKind, open_store
from tests.workers import add_entries

WRITERS = 3
PER_WRITER = 60
SHARED = 10  # hashes every writer adds: only one live entry each may result


@pytest.mark.slow
def test_concurrent_writers_lose_nothing_and_followers_miss_nothing(db_url: str) -> None:
    store = open_store(db_url)
    store.ensure_list("shared")  # creates the schema before the writers race
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=add_entries, args=(db_url, worker, PER_WRITER, SHARED, start))
        for worker in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    start.set()
    seen_adds: list[int] = []
    seq = store.current_seq()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = any(worker.is_alive() for worker in workers)
        for change in store.changes_since(seq):
            assert change.seq > seq
            seq = change.seq
            if change.kind is ChangeKind.ADD:
                assert change.entry_id is not None
                seen_adds.append(change.entry_id)
        if not running:
            break
        time.sleep(0.01)
    for worker in workers:
        worker.join(10)
        assert worker.exitcode == 0
    hash_list = store.get_list("shared")
    expected = WRITERS * PER_WRITER + SHARED
    assert store.count_entries(hash_list.id) == expected
    live = [value for batch in store.iter_live_hashes("pdq") for value in batch.values]
    assert len(live) == len(set(live)) == expected
    # The follower saw every entry, once, although it never looked back.
    assert len(seen_adds) == len(set(seen_adds)) == expected
    store.close()
