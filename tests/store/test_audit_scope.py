"""Audit records say whom they concern (revision 0003): records written before it are stamped
on upgrade where the database still knows, and a reader's scope selects by the stamp."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from hashdb.store import open_store
from hashdb.store.models import AuditScope
from tests.store.databases import create_legacy_database, raw_engine

AT = datetime(2026, 1, 2, tzinfo=UTC)


def _insert(connection: sa.Connection, table: str, **values: object) -> None:
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    connection.execute(reflected.insert().values(**values))


def test_upgrading_stamps_the_records_it_can_and_leaves_the_rest_to_operators(
    db_url: str,
) -> None:
    create_legacy_database(db_url, "version 2")
    engine = raw_engine(db_url)
    with engine.begin() as connection:
        _insert(
            connection,
            "lists",
            id=1,
            name="kept",
            description="",
            action="block",
            thresholds={"md5": 0},
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        _insert(
            connection,
            "entries",
            id=7,
            list_id=1,
            algorithm="md5",
            hash=bytes(16),
            added_at=AT,
        )
        _insert(
            connection,
            "api_keys",
            id=3,
            name="k",
            role="admin",
            organisation="zqorga",
            prefix="hdb_abcdefgh",
            key_hash="0" * 64,
            created_at=AT,
        )
        for target_type, target_id in (
            ("entry", "7"),
            ("list", "kept"),
            ("list", "deleted-since"),
            ("key", "3"),
            ("import", "file.csv"),
        ):
            _insert(
                connection,
                "audit_log",
                at=AT,
                actor="someone",
                action=f"{target_type}.change",
                target_type=target_type,
                target_id=target_id,
            )
    engine.dispose()

    store = open_store(db_url)
    try:
        every = {(record.target_type, record.target_id) for record in store.audit_records()}
        assert len(every) == 5
        scope = AuditScope(frozenset({1}), "zqorga", keys=True)
        seen = {
            (record.target_type, record.target_id) for record in store.audit_records(scope=scope)
        }
        assert seen == {("entry", "7"), ("list", "kept"), ("key", "3")}
        other = AuditScope(frozenset({1}), "zqorgb", keys=True)
        seen = {
            (record.target_type, record.target_id) for record in store.audit_records(scope=other)
        }
        assert seen == {("entry", "7"), ("list", "kept")}
        assert store.audit_records(scope=AuditScope(frozenset(), "zqorga")) == []
    finally:
        store.close()
