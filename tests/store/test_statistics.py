"""PostgreSQL: a database grown by adds alone gets planner statistics from hashdb itself, with
autovacuum as the server has it, and an add then probes the unique index, even through the
generic plan a prepared statement settles on. Refreshing them never fails or holds up a write.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from hashdb.store import NewEntry, NewList, Store, open_store
from hashdb.store.plain_import import PlainRows
from hashdb.store.postgres import PostgresStore
from hashdb.store.statistics import StatisticsKeeper, analyze_stale
from tests.store.plans import explain, generic_plan, nodes, statements

pytestmark = pytest.mark.postgres

GROWN_TO = 25_000


def _random_entries(rng: np.random.Generator, count: int) -> list[NewEntry]:
    return [NewEntry("pdq", bytes(row)) for row in rng.integers(0, 256, (count, 32), np.uint8)]


def _last_analyze(store: Store, table: str) -> Any:
    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        return connection.execute(
            sa.text("SELECT last_analyze FROM pg_stat_user_tables WHERE relid = to_regclass(:t)"),
            {"t": table},
        ).scalar_one()


def _publish_counters(store: Store) -> None:
    """Make the row counters of the store's connections visible now: PostgreSQL publishes a
    backend's at most once a second, or 10 s after it went idle, which a test would wait for."""
    engine: sa.Engine = store.engine  # type: ignore[attr-defined]
    pool: Any = engine.pool
    held = [engine.connect() for _ in range(pool.checkedin())]  # each idle connection
    for connection in held:
        connection.execute(sa.text("SELECT pg_stat_force_next_flush()"))
        connection.close()  # its ROLLBACK ends the transaction: the counters go out


def _wait_for_counters(engine: sa.Engine, table: str, rows: int) -> None:
    """Wait until ``table`` shows ``rows`` changed (another role's backends publish theirs
    in their own time)."""
    deadline = time.monotonic() + 20
    query = sa.text("SELECT pg_stat_get_mod_since_analyze(to_regclass(:t))")
    while True:
        with engine.connect() as connection:
            if connection.execute(query, {"t": table}).scalar_one() >= rows:
                return
        assert time.monotonic() < deadline, f"{table}: counters not published"
        time.sleep(0.2)


@pytest.fixture
def grown(postgres_url: str) -> Iterator[tuple[Store, int, np.ndarray]]:
    """A list grown to ``GROWN_TO`` entries by adds of 1,000, nobody asked to analyse it."""
    store = open_store(postgres_url)
    hash_list = store.create_list(NewList("fed"))
    values = np.random.default_rng(3).integers(0, 256, (GROWN_TO, 32), np.uint8)
    for start in range(0, GROWN_TO, 1000):
        store.add_entries(hash_list.id, [NewEntry("pdq", bytes(v)) for v in values[start:][:1000]])
    store.statistics.settle()  # type: ignore[attr-defined]
    yield store, hash_list.id, values
    store.close()


def test_a_list_grown_by_adds_alone_gets_statistics(grown: tuple[Store, int, Any]) -> None:
    store, _list_id, _values = grown
    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        autovacuum = connection.execute(sa.text("SHOW autovacuum")).scalar_one()
        analysed = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename = 'entries' AND attname IN ('algorithm', 'retired_at')"
            )
        ).scalar_one()
    assert analysed == 2, f"no statistics of entries (autovacuum {autovacuum})"
    if autovacuum == "off":
        assert _last_analyze(store, "entries") is not None  # hashdb's ANALYZE, not autovacuum's


def test_an_add_to_a_list_grown_by_adds_probes_the_unique_index(
    grown: tuple[Store, int, Any],
) -> None:
    """The look-up of the hashes already live, custom and generic plan alike, and no
    statement of the add scans the list."""
    store, list_id, values = grown
    engine: sa.Engine = store.engine  # type: ignore[attr-defined]
    batch = [NewEntry("pdq", bytes(v)) for v in values[:500]]
    batch += _random_entries(np.random.default_rng(4), 500)
    outcomes: list[Any] = []
    ran = statements(store, lambda: outcomes.extend(store.add_entries(list_id, batch)))
    assert sum(outcome.created for outcome in outcomes) == 500
    probes = [(sql, params) for sql, params in ran if "unnest(" in sql]
    assert len(probes) == 2  # two chunks of 500 values
    for sql, params in probes:
        generic = generic_plan(engine, sql, params)
        indexes = {node.get("Index Name") for node in nodes(generic)} - {None}
        assert indexes == {"entries_live_unique"}, generic
    batch = _random_entries(np.random.default_rng(5), 1000)
    ran = statements(store, lambda: store.add_entries(list_id, batch))
    with engine.connect() as connection:
        for sql, params in ran:
            if not sql.startswith(("SELECT", "INSERT", "UPDATE")) or "pg_advisory" in sql:
                continue
            plan = explain(connection, sql, params)
            for node in nodes(plan):
                if node.get("Relation Name") == "entries":
                    assert node["Node Type"] != "Seq Scan", (sql[:200], plan)
                    scanned = node.get("Index Name")
                    assert scanned not in ("entries_algorithm_live", "entries_list"), sql[:200]


@pytest.fixture
def fed(postgres_url: str) -> Iterator[tuple[PostgresStore, int]]:
    """A PostgreSQL store and the id of its empty list ``fed``."""
    store = open_store(postgres_url)
    assert isinstance(store, PostgresStore)
    try:
        yield store, store.create_list(NewList("fed")).id
    finally:
        store.close()


def test_refreshing_analyses_past_autovacuums_rule_only(fed: tuple[PostgresStore, int]) -> None:
    store, list_id = fed
    engine = store.engine
    store.statistics.settle()
    store.add_entries(list_id, _random_entries(np.random.default_rng(6), 10))
    store.statistics.settle()
    _publish_counters(store)
    assert analyze_stale(engine, ["entries"]) == []  # 10 rows: under the threshold of 50
    store.add_entries(list_id, _random_entries(np.random.default_rng(7), 100))
    store.statistics.settle()
    _publish_counters(store)
    assert analyze_stale(engine, ["entries", "items", "lists"]) in (
        ["entries", "items"],  # the keeper's own check did not see the counters yet
        [],  # it did, and analysed them
    )
    assert _last_analyze(store, "entries") is not None
    assert _last_analyze(store, "lists") is None  # one row changed
    assert analyze_stale(engine, ["entries", "items"]) == []  # fresh now


def test_a_check_leaves_the_work_to_another_connection_analysing(
    fed: tuple[PostgresStore, int],
) -> None:
    store, list_id = fed
    engine = store.engine
    store.statistics.settle()
    with engine.connect() as other:
        other.execute(sa.text("SELECT pg_advisory_xact_lock(7244533, hashtext(current_schema()))"))
        store.add_entries(list_id, _random_entries(np.random.default_rng(8), 200))
        store.statistics.settle()
        _publish_counters(store)
        assert analyze_stale(engine, ["entries"]) == []  # not waited for
        other.rollback()
    assert analyze_stale(engine, ["entries"]) == ["entries"]


def test_a_failing_analyze_fails_no_add(
    fed: tuple[PostgresStore, int], caplog: pytest.LogCaptureFixture
) -> None:
    """A VACUUM (here a lock of the same strength) holds the table longer than an ANALYZE
    waits: the add commits all the same, and a later write analyses."""
    store, list_id = fed
    with store.engine.connect() as vacuum, caplog.at_level(logging.WARNING):
        vacuum.execute(sa.text("LOCK TABLE entries IN SHARE UPDATE EXCLUSIVE MODE"))
        store.add_entries(list_id, _random_entries(np.random.default_rng(9), 200))
        _publish_counters(store)
        added = store.add_entries(list_id, _random_entries(np.random.default_rng(1), 5))
        store.statistics.settle()  # checks, finds the 200
        vacuum.rollback()
    assert all(outcome.created for outcome in added)
    assert store.count_entries(list_id) == 205
    assert "lock timeout" in caplog.text
    assert _last_analyze(store, "entries") is None
    store.add_entries(list_id, _random_entries(np.random.default_rng(2), 5))
    store.statistics.settle()
    assert _last_analyze(store, "entries") is not None


def test_a_role_that_owns_no_table_adds_without_analysing(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    owner = open_store(postgres_url)
    owner.close()
    role = f"hashdb_writer_{uuid.uuid4().hex[:8]}"
    engine: sa.Engine = owner.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA {_schema(connection)} TO {role}")
        connection.exec_driver_sql(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
            f"{_schema(connection)} TO {role}"
        )
        connection.exec_driver_sql(
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {_schema(connection)} TO {role}"
        )
    writer = open_store(postgres_url.replace("postgres@", f"{role}@"))
    try:
        hash_list = writer.create_list(NewList("fed"))
        with caplog.at_level(logging.WARNING):
            added = writer.add_entries(
                hash_list.id, _random_entries(np.random.default_rng(3), 1000)
            )
            writer.statistics.settle()  # type: ignore[attr-defined]
            _wait_for_counters(engine, "entries", 1000)  # seen by the owner
            assert analyze_stale(writer.engine, ["entries"]) == []  # type: ignore[attr-defined]
        assert len(added) == 1000
        assert caplog.text == ""
        assert _last_analyze(writer, "entries") is None
    finally:
        writer.close()
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP OWNED BY {role}")
            connection.exec_driver_sql(f"DROP ROLE {role}")
        engine.dispose()


def _entries_statistics(connection: sa.Connection) -> int:
    return int(
        connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename = 'entries'"
            )
        ).scalar_one()
    )


def _schema(connection: sa.Connection) -> str:
    return str(connection.execute(sa.text("SELECT current_schema()")).scalar_one())


def test_writers_in_two_processes_add_while_both_check(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two stores on one database (two processes' worth) add at once: every add lands, no
    check fails, and the statistics come out fresh."""
    stores = [open_store(postgres_url) for _ in range(2)]
    try:
        list_id = stores[0].create_list(NewList("fed")).id

        def feed(store: Store, seed: int) -> None:
            rng = np.random.default_rng(seed)
            for _ in range(8):
                store.add_entries(list_id, _random_entries(rng, 500))

        with caplog.at_level(logging.WARNING):
            threads = [
                threading.Thread(target=feed, args=(store, seed))
                for seed, store in enumerate(stores)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for store in stores:
                _publish_counters(store)
                store.add_entries(list_id, _random_entries(np.random.default_rng(99), 1))
                store.statistics.settle()  # type: ignore[attr-defined]
        assert caplog.text == ""
        assert stores[0].count_entries(list_id) == 8001
        assert analyze_stale(stores[0].engine, ["entries", "items"]) == []  # type: ignore[attr-defined]
    finally:
        for store in stores:
            store.close()


def test_a_store_opened_on_a_database_nobody_analysed_analyses_it_before_adding(
    postgres_url: str,
) -> None:
    """A database written by a hashdb that kept no statistics: the first add of a process
    (a ``hashdb add-hash``, say) is planned after the check that opening the store started."""
    writer = open_store(postgres_url)
    writer.statistics.settle()  # type: ignore[attr-defined]
    writer.statistics = StatisticsKeeper(writer.engine, tables=())  # type: ignore[attr-defined]
    list_id = writer.create_list(NewList("fed")).id
    values = np.random.default_rng(12).integers(0, 256, (GROWN_TO, 32), np.uint8)
    with writer.transaction():
        writer.import_plain(
            list_id, PlainRows("pdq", values, [{}], np.zeros(GROWN_TO, dtype=np.intp))
        )
    _publish_counters(writer)  # as those of a process that stopped a while ago are
    writer.close()
    store = open_store(postgres_url)
    try:
        engine: sa.Engine = store.engine  # type: ignore[attr-defined]
        statistics_when_probed: list[int] = []

        adding = threading.get_ident()

        def look_up(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            if threading.get_ident() != adding:
                return  # the check's own statements
            if "unnest(" in statement and not statistics_when_probed:
                with engine.connect() as connection:  # another connection of the pool
                    statistics_when_probed.append(_entries_statistics(connection))

        sa.event.listen(engine, "before_cursor_execute", look_up)
        store.add_entries(list_id, [NewEntry("pdq", bytes(v)) for v in values[:1000]])
        assert statistics_when_probed[0] > 0  # the look-up was planned with them
    finally:
        store.close()
