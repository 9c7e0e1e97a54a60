"""Queries asked on every refresh or every add read by index, with or without planner
statistics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from hashdb.store import Store, open_store
from hashdb.store.models import NewEntry, NewList
from hashdb.store.plain_import import PlainRows
from hashdb.store.statistics import StatisticsKeeper
from tests.store.plans import nodes, plans, statements


@pytest.fixture
def loaded(postgres_url: str) -> Iterator[Store]:
    """A PostgreSQL store with 20,000 entries loaded in bulk and no planner statistics."""
    store = open_store(postgres_url)
    hash_list = store.create_list(NewList("big"))
    # The situation guarded here is a database nobody analysed (hashdb analyses what its
    # writes grow, in the background): this store keeps no table's statistics.
    store.statistics.settle()  # type: ignore[attr-defined]
    store.statistics = StatisticsKeeper(store.engine, tables=())  # type: ignore[attr-defined]
    hashes = np.random.default_rng(7).integers(0, 256, size=(20_000, 32), dtype=np.uint8)
    rows = PlainRows("pdq", hashes, [{}], np.zeros(len(hashes), dtype=np.intp))
    with store.transaction():
        store.import_plain(hash_list.id, rows)
    yield store
    store.close()


@pytest.mark.postgres
@pytest.mark.parametrize("since", ["start", "end"])
def test_following_changes_reads_by_index_without_statistics(loaded: Store, since: str) -> None:
    with loaded.engine.connect() as connection:  # type: ignore[attr-defined]
        stats = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stats WHERE tablename IN ('entries', 'changes') "
                "AND schemaname = current_schema()"
            )
        ).scalar_one()
        jit_above = float(connection.execute(sa.text("SHOW jit_above_cost")).scalar_one())
    assert stats == 0  # the situation this guards: a bulk load nobody analysed yet
    seq = 0 if since == "start" else loaded.current_seq()
    changes: list[Any] = []
    explained = plans(loaded, lambda: changes.extend(loaded.changes_since(seq)))
    assert len(changes) == (10_000 if since == "start" else 0)
    assert explained
    for plan in explained:
        scanned = {(node["Node Type"], node.get("Relation Name")) for node in nodes(plan)}
        assert ("Seq Scan", "changes") not in scanned, scanned
        if since == "end":  # what every request asks: nothing but the key's end
            assert all(kind != "Seq Scan" for kind, _table in scanned), scanned
        assert plan["Total Cost"] < jit_above  # not JIT-compiled on every refresh


def _sqlite_plans(store: Store, call: Any) -> list[str]:
    """SQLite's query plan of every SELECT ``call`` runs, one line per step."""
    selects = [
        (statement, params)
        for statement, params in statements(store, call)
        if statement.lstrip().upper().startswith("SELECT")
    ]
    engine: sa.Engine = store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return [
            " / ".join(
                str(row[3])
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            for statement, params in selects
        ]


def test_an_add_of_many_hashes_probes_the_unique_index_after_a_bulk_load(sqlite_url: str) -> None:
    """After a bulk import and its sampled ``ANALYZE``, SQLite took scanning the whole list
    (``entries_list``) for cheaper than a thousand probes of the unique index in some
    databases (118 ms per add of a thousand hashes at 100,000 entries, against about 2 ms):
    the add names the index it needs."""
    store = open_store(sqlite_url)
    try:
        hash_list = store.create_list(NewList("big"))
        hashes = np.random.default_rng(7).integers(0, 256, size=(100_000, 32), dtype=np.uint8)
        rows = PlainRows("pdq", hashes, [{}], np.zeros(len(hashes), dtype=np.intp))
        with store.transaction():
            store.import_plain(hash_list.id, rows)
            store.analyze()
        batch = [NewEntry("pdq", bytes(value)) for value in hashes[:1000]]
        outcomes: list[Any] = []
        plans = _sqlite_plans(
            store, lambda: outcomes.extend(store.add_entries(hash_list.id, batch))
        )
        assert not any(outcome.created for outcome in outcomes)  # all found, none added twice
        probes = [plan for plan in plans if "entries_live_unique" in plan]
        assert probes, plans
        assert not any("entries_list" in plan for plan in plans), plans
    finally:
        store.close()
