"""Schema versioning: fresh databases are stamped, newer ones refused, reopening is a no-op."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hashdb.errors import SchemaTooNew
from hashdb.store import open_store
from hashdb.store.migrations import current_version, migrate
from hashdb.store.postgres import engine_url
from hashdb.store.schema import SCHEMA_VERSION, schema_info
from hashdb.store.sql import SQLStore
from tests.store import schema_v1


def _engine(store: object) -> sa.Engine:
    assert isinstance(store, SQLStore)
    return store.engine


def test_fresh_database_is_stamped_with_the_current_version(db_url: str) -> None:
    store = open_store(db_url)
    with _engine(store).connect() as connection:
        assert current_version(connection) == SCHEMA_VERSION
    assert migrate(_engine(store)) == SCHEMA_VERSION  # already current: nothing to do
    store.close()


def test_a_newer_schema_is_refused_not_guessed_at(db_url: str) -> None:
    store = open_store(db_url)
    with _engine(store).begin() as connection:
        connection.execute(schema_info.update().values(version=SCHEMA_VERSION + 1))
    store.close()
    with pytest.raises(SchemaTooNew) as error:
        open_store(db_url)
    assert error.value.exit_code == 3


def test_a_version_1_database_is_upgraded_in_place_keeping_its_entries(db_url: str) -> None:
    """A database written by the first release (schema frozen in ``schema_v1``) opens: its
    lists and entries are kept and everything added since works on it."""
    engine = sa.create_engine(engine_url(db_url) if "://" in db_url else f"sqlite:///{db_url}")
    now = datetime.now(UTC)
    with engine.begin() as connection:
        schema_v1.metadata.create_all(connection)
        connection.execute(schema_v1.schema_info.insert().values(version=1))
        list_id = connection.execute(
            schema_v1.lists.insert()
            .values(
                name="terror",
                description="",
                action="block",
                thresholds={"pdq": 31},
                created_at=now,
                updated_at=now,
            )
            .returning(schema_v1.lists.c.id)
        ).scalar_one()
        connection.execute(
            schema_v1.entries.insert().values(
                list_id=list_id, algorithm="pdq", hash=bytes(range(32)), added_at=now
            )
        )
    engine.dispose()

    store = open_store(db_url)
    try:
        with _engine(store).connect() as connection:
            assert current_version(connection) == SCHEMA_VERSION
        (entry,) = store.export_entries(None, None)
        assert entry.value == bytes(range(32)) and entry.organisation is None
        assert entry.list_name == "terror"
        store.create_organisation("ngo")  # a table version 2 added
        assert [organisation.name for organisation in store.organisations()] == ["ngo"]
    finally:
        store.close()
