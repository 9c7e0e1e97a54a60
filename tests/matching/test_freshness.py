"""A hash added by one process matches in another process within one second."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from hashdb.hashing import Digest
from hashdb.matching.indexes import HashIndexes
from hashdb.store import NewEntry, open_store
from tests.workers import FRESH_VALUE, add_then_retire

VALUE = FRESH_VALUE


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
    matcher = HashIndexes(store, refresh_interval=0.2)
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
    store.close()
