"""Opening a database brings it to the newest schema revision: a new one, and every schema a
database had before Alembic with its data kept and usable; a newer schema is refused, and a
failed upgrade leaves the database as it was."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hashdb.errors import SchemaTooNew, StoreUnavailable
from hashdb.store import ChangeKind, NewEntry, open_store
from hashdb.store.migrations import head_revision, migrate, revision_number, stored_revision
from hashdb.store.schema import schema_info
from tests.store.databases import (
    LEGACY_SCHEMAS,
    create_legacy_database,
    differences_from_models,
    open_when_told,
    raw_engine,
    table_names,
)

HASH = bytes(range(32))
OTHER_HASH = bytes(range(32, 64))
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
VERSION_1_TABLES = {"hashdb_schema", "lists", "entries", "changes", "audit_log"}


def _legacy_versions(connection: sa.Connection) -> list[int]:
    return list(connection.execute(sa.select(schema_info.c.version)).scalars())


def test_a_new_database_gets_every_revision(db_url: str) -> None:
    open_store(db_url).close()
    engine = raw_engine(db_url)
    try:
        with engine.connect() as connection:
            assert stored_revision(connection) == head_revision()
            # Releases from before Alembic read this table: it says the same revision.
            assert _legacy_versions(connection) == [revision_number(head_revision())]
        assert migrate(engine) == head_revision()  # already there: nothing to do
    finally:
        engine.dispose()


def _seed(url: str) -> dict[str, int]:
    """Rows in every table the legacy database has, written the way its release wrote them."""
    engine = raw_engine(url)
    tables = sa.MetaData()
    ids: dict[str, int] = {}
    try:
        with engine.begin() as connection:
            tables.reflect(connection)
            version_2 = "organisations" in tables.tables

            def insert(table: str, **values: Any) -> Any:
                statement = tables.tables[table].insert().values(**values)
                return connection.execute(statement).inserted_primary_key[0]

            ids["list"] = insert(
                "lists",
                name="terror",
                description="known propaganda",
                action="block",
                thresholds={"pdq": 31},
                created_at=NOW,
                updated_at=NOW,
            )
            provenance = {"organisation": "ngo", "source": "case-17"} if version_2 else {}
            ids["retired"] = insert(
                "entries",
                list_id=ids["list"],
                algorithm="pdq",
                hash=HASH,
                added_at=NOW - timedelta(days=2),
                retired_at=NOW - timedelta(days=1),
                retired_reason="false positive",
                retired_by="analyst",
            )
            ids["live"] = insert(
                "entries",
                list_id=ids["list"],
                algorithm="pdq",
                hash=HASH,
                quality=90,
                label="beheading video",
                added_by="analyst",
                added_at=NOW,
                **provenance,
            )
            for kind, entry in (("add", "retired"), ("retire", "retired"), ("add", "live")):
                insert("changes", kind=kind, entry_id=ids[entry], list_id=ids["list"], at=NOW)
            insert(
                "audit_log",
                at=NOW,
                actor="analyst",
                action="entry.add",
                target_type="entry",
                target_id=str(ids["live"]),
                after={"hash": HASH.hex()},
            )
            if version_2:
                insert("organisations", name="ngo", description="", created_at=NOW)
                insert(
                    "list_settings",
                    list_id=ids["list"],
                    owner_organisation="ngo",
                    sharing="private",
                    review_radius={"pdq": 40},
                    updated_at=NOW,
                )
                insert(
                    "api_keys",
                    name="moderation platform",
                    role="platform",
                    organisation="ngo",
                    prefix="hdb_legacy01",
                    key_hash="0" * 64,
                    created_at=NOW,
                )
                insert(
                    "label_vocabulary",
                    facet="type",
                    value="execution",
                    description="",
                    created_at=NOW,
                )
                insert("entry_labels", entry_id=ids["live"], label="type:execution")
                insert(
                    "video_rules",
                    list_id=ids["list"],
                    min_query_share=0.25,
                    min_reference_share=0.5,
                    updated_at=NOW,
                )
                ids["scan"] = insert(
                    "scan_jobs",
                    status="interrupted",
                    params={"root": "/media"},
                    owner="operator",
                    created_at=NOW,
                    updated_at=NOW,
                    done=12,
                    counters={"files": 12},
                )
    finally:
        engine.dispose()
    return ids


@pytest.mark.parametrize("legacy", list(LEGACY_SCHEMAS))
def test_every_earlier_schema_is_upgraded_keeping_its_data(db_url: str, legacy: str) -> None:
    create_legacy_database(db_url, legacy)
    ids = _seed(db_url)

    store = open_store(db_url)
    try:
        live = store.get_entry(ids["live"])
        assert (live.value, live.list_name, live.label, live.quality) == (
            HASH,
            "terror",
            "beheading video",
            90,
        )
        retired = store.get_entry(ids["retired"])
        assert retired.retired_reason == "false positive" and not retired.live
        assert store.count_entries(ids["list"], live_only=False) == 2
        assert [change.kind for change in store.changes_since(0)] == [
            ChangeKind.ADD,
            ChangeKind.RETIRE,
            ChangeKind.ADD,
        ]
        assert [record.action for record in store.audit_records()] == ["entry.add"]
        if legacy.startswith("version 2"):
            assert (live.organisation, live.source, live.labels) == (
                "ngo",
                "case-17",
                ("type:execution",),
            )
            assert store.list_settings(ids["list"]).owner == "ngo"
            key = store.key_by_prefix("hdb_legacy01")
            assert key is not None and key.name == "moderation platform"
            assert [term.label for term in store.vocabulary()] == ["type:execution"]
            assert store.video_rules()[ids["list"]].min_reference_share == 0.5
            assert store.get_scan_job(ids["scan"]).done == 12
        else:
            assert (live.organisation, live.source, live.labels) == (None, None, ())

        # Usable as a database made today: the live-entry index still makes adds idempotent,
        # and the tables later revisions added take writes.
        again, new = store.add_entries(
            ids["list"], [NewEntry("pdq", HASH), NewEntry("pdq", OTHER_HASH, organisation="x")]
        )
        assert (again.entry_id, again.created, new.created) == (ids["live"], False, True)
        store.ensure_organisation("another ngo")
        assert "another ngo" in [organisation.name for organisation in store.organisations()]
    finally:
        store.close()

    engine = raw_engine(db_url)
    try:
        with engine.connect() as connection:
            assert stored_revision(connection) == head_revision()
            assert _legacy_versions(connection) == [revision_number(head_revision())]
            assert differences_from_models(connection) == []
    finally:
        engine.dispose()


def test_a_newer_revision_is_refused_and_left_alone(db_url: str) -> None:
    open_store(db_url).close()
    engine = raw_engine(db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(SchemaTooNew) as error:
        open_store(db_url)
    assert error.value.exit_code == 3
    assert error.value.details == {"found": "0999", "supported": head_revision()}
    assert "upgrade hashdb" in error.value.message
    with engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        assert version.scalar_one() == "0999"
    engine.dispose()


def test_a_newer_version_from_before_alembic_is_refused(db_url: str) -> None:
    create_legacy_database(db_url, "version 2")
    engine = raw_engine(db_url)
    with engine.begin() as connection:
        connection.execute(schema_info.update().values(version=7))
    engine.dispose()
    with pytest.raises(SchemaTooNew) as error:
        open_store(db_url)
    assert error.value.details["found"] == 7
    assert "alembic_version" not in table_names(db_url)


def test_a_failed_upgrade_leaves_the_database_as_it_was(db_url: str) -> None:
    """Revision 0002 fails at its tenth table, after altering ``entries`` and creating nine
    tables: none of that, nor any version stamp, may stay behind."""
    create_legacy_database(db_url, "version 1")
    ids = _seed(db_url)
    engine = raw_engine(db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE scan_jobs (id INTEGER PRIMARY KEY)"))

    with pytest.raises(StoreUnavailable) as error:
        open_store(db_url)
    assert not isinstance(error.value, SchemaTooNew)
    assert "scan_jobs" in error.value.message

    assert table_names(db_url) == VERSION_1_TABLES | {"scan_jobs"}
    with engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("entries")}
        assert "organisation" not in columns
        assert _legacy_versions(connection) == [1]

    with engine.begin() as connection:  # the operator moves the stray table away
        connection.execute(sa.text("DROP TABLE scan_jobs"))
    engine.dispose()
    store = open_store(db_url)
    assert store.get_entry(ids["live"]).value == HASH
    store.close()


@pytest.mark.slow
def test_processes_opening_a_new_database_at_once_create_it_once(db_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    openers = [context.Process(target=open_when_told, args=(db_url, start)) for _ in range(4)]
    for opener in openers:
        opener.start()
    start.set()
    for opener in openers:
        opener.join(60)
        assert opener.exitcode == 0
    engine = raw_engine(db_url)
    with engine.connect() as connection:
        assert stored_revision(connection) == head_revision()
        assert _legacy_versions(connection) == [revision_number(head_revision())]
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        assert versions.scalars().all() == [head_revision()]
    engine.dispose()


def test_threads_opening_new_databases_at_once_each_get_every_revision(tmp_path: Path) -> None:
    """Alembic keeps its migration context in module globals; upgrades in one process take
    turns so that each database gets its own revisions."""
    urls = [str(tmp_path / f"hashdb-{number}.sqlite") for number in range(6)]
    with ThreadPoolExecutor(len(urls)) as pool:
        for store in pool.map(open_store, urls):
            store.close()
    for url in urls:
        engine = raw_engine(url)
        with engine.connect() as connection:
            assert stored_revision(connection) == head_revision()
            assert differences_from_models(connection) == []
        engine.dispose()
