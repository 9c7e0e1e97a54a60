"""Schema versioning: fresh databases are stamped, newer ones refused, reopening is a no-op."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hashdb.errors import SchemaTooNew
from hashdb.store import open_store
from hashdb.store.migrations import current_version, migrate
from hashdb.store.schema import SCHEMA_VERSION, schema_info
from hashdb.store.sql import SQLStore


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
