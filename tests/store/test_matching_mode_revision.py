"""Lists say which stages may match on them (revision 0004): lists made before it become
``robust``, the way every list matched until then, and keep everything else."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from hashdb.store import MatchingMode, NewList, open_store
from tests.store.databases import create_legacy_database, raw_engine

AT = datetime(2026, 1, 2, tzinfo=UTC)


def test_upgrading_makes_every_existing_list_robust(db_url: str) -> None:
    create_legacy_database(db_url, "version 2")
    engine = raw_engine(db_url)
    with engine.begin() as connection:
        lists = sa.Table("lists", sa.MetaData(), autoload_with=connection)
        assert "matching_mode" not in lists.c
        connection.execute(
            lists.insert().values(
                name="kept",
                description="known propaganda",
                action="review",
                thresholds={"pdq": 20, "md5": 0},
                created_at=AT,
                updated_at=AT,
            )
        )
    engine.dispose()

    store = open_store(db_url)
    try:
        kept = store.get_list("kept")
        assert kept.matching_mode is MatchingMode.ROBUST
        assert (kept.description, kept.action.value, kept.thresholds) == (
            "known propaganda",
            "review",
            {"pdq": 20, "md5": 0},
        )
        made = store.create_list(NewList("digests", matching_mode=MatchingMode.EXACT))
        assert made.matching_mode is MatchingMode.EXACT
        changed = store.update_list("kept", matching_mode=MatchingMode.HASH)
        assert changed.matching_mode is MatchingMode.HASH
        assert store.get_list("kept").thresholds == {"pdq": 20, "md5": 0}
    finally:
        store.close()
