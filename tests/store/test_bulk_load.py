"""Start-up loads of live hashes as numpy batches, on SQLite and the real PostgreSQL."""

from __future__ import annotations

import numpy as np

from hashdb.store import NewEntry, Store
from hashdb.store.bulk import live_hash_arrays
from hashdb.store.sql import SQLStore


def _value(seed: int, width: int) -> bytes:
    return bytes((seed * 131 + i * 17 + (seed >> 8)) % 256 for i in range(width))


def test_live_hash_arrays_equal_the_row_by_row_reader(store: Store) -> None:
    hash_list = store.ensure_list("load")
    other = store.ensure_list("other")
    outcomes = store.add_entries(hash_list.id, [NewEntry("pdq", _value(i, 32)) for i in range(250)])
    store.add_entries(other.id, [NewEntry("pdq", _value(i, 32)) for i in range(5)])
    store.add_entries(hash_list.id, [NewEntry("phash", _value(i, 8)) for i in range(40)])
    for outcome in outcomes[::9]:
        store.retire_entry(outcome.entry_id, "false positive", "analyst")
    assert isinstance(store, SQLStore)
    for algorithm, width in (("pdq", 32), ("phash", 8), ("dhash", 8)):
        expected_ids: list[int] = []
        expected_values: list[bytes] = []
        for batch in store.iter_live_hashes(algorithm):
            expected_ids += batch.ids
            expected_values += batch.values
        # A tiny batch size crosses batch (and, on PostgreSQL, COPY block) boundaries.
        batches = list(live_hash_arrays(store.engine, algorithm, batch_size=7))
        ids = np.concatenate([b[0] for b in batches]) if batches else np.empty(0, np.int64)
        values = np.vstack([b[1] for b in batches]) if batches else np.empty((0, width))
        assert ids.tolist() == expected_ids
        assert [bytes(row) for row in values] == expected_values
        assert values.shape == (len(expected_ids), width)
    assert sum(len(ids) for ids, _ in store.live_hash_arrays("pdq")) == 255 - len(outcomes[::9])
