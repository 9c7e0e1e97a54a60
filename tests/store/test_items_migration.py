"""Items (revision 0005): an existing database's entries are grouped on upgrade, the hashes of
one file on one list into one media item, every other entry into an item of its own; and new
entries get their item as they are written, whichever way they come in."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from hashdb.store import NewEntry, open_store
from hashdb.store.exchange import ImportRow
from hashdb.store.models import ItemKind, ItemQuery
from tests.store.databases import create_legacy_database, raw_engine

AT = datetime(2026, 1, 2, tzinfo=UTC)
LATER = datetime(2026, 2, 3, tzinfo=UTC)
FILE = "ab" * 32
OTHER_FILE = "cd" * 32


def _insert(connection: sa.Connection, table: str, **values: object) -> None:
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    connection.execute(reflected.insert().values(**values))


def _entry(
    connection: sa.Connection,
    entry_id: int,
    list_id: int,
    algorithm: str,
    sha256: str | None,
    retired_at: datetime | None = None,
) -> None:
    _insert(
        connection,
        "entries",
        id=entry_id,
        list_id=list_id,
        algorithm=algorithm,
        hash=bytes([entry_id]) * (32 if algorithm in ("pdq", "sha256") else 16),
        source_sha256=sha256,
        added_at=AT,
        retired_at=retired_at,
        retired_reason="news footage" if retired_at else None,
        retired_by="analyst1" if retired_at else None,
    )


def test_upgrading_groups_the_hashes_of_one_file_on_one_list_into_one_item(db_url: str) -> None:
    create_legacy_database(db_url, "version 2")
    engine = raw_engine(db_url)
    with engine.begin() as connection:
        for list_id, name in ((1, "terror"), (2, "partner")):
            _insert(
                connection,
                "lists",
                id=list_id,
                name=name,
                description="",
                action="block",
                thresholds={"md5": 0},
                created_at=AT,
                updated_at=AT,
            )
        _entry(connection, 3, 1, "pdq", FILE)
        _entry(connection, 4, 1, "md5", FILE)
        _entry(connection, 5, 1, "sha256", FILE, retired_at=AT)
        _entry(connection, 6, 1, "md5", None)  # a raw hash added alone
        _entry(connection, 7, 1, "md5", None)
        _entry(connection, 8, 2, "md5", FILE)  # the same file on another list
        _entry(connection, 9, 1, "pdq", OTHER_FILE, retired_at=AT)
        _entry(connection, 10, 1, "md5", OTHER_FILE, retired_at=LATER)
    engine.dispose()

    store = open_store(db_url)
    try:
        items = {item.id: item for item in store.search_items(ItemQuery(limit=100))}
        assert {item_id: [e.id for e in item.entries] for item_id, item in items.items()} == {
            3: [3, 4, 5],
            6: [6],
            7: [7],
            8: [8],
            9: [9, 10],
        }
        assert items[3].kind is ItemKind.MEDIA and items[3].source_sha256 == FILE
        assert items[6].kind is ItemKind.HASH and items[6].list_name == "terror"
        assert items[8].list_name == "partner"
        # One live hash keeps an item live; all retired, it is retired as its last one was.
        assert items[3].live
        assert items[9].retired_at == LATER
        assert items[9].retired_reason == "news footage"
        assert store.get_entry(4).item_id == 3
        # Retiring the upgraded item retires its live hashes, and restoring brings them back.
        retired = store.retire_item(3, "false positive", "analyst2")
        assert all(not entry.live for entry in retired.entries)
        restored = store.restore_item(3)
        assert [entry.live for entry in restored.entries] == [True, True, False]
    finally:
        store.close()


def test_every_way_of_adding_gives_each_new_entry_an_item(db_url: str) -> None:
    store = open_store(db_url)
    try:
        hash_list = store.ensure_list("terror")
        media = store.add_entries(
            hash_list.id,
            [NewEntry("pdq", b"\x01" * 32, source_sha256=FILE), NewEntry("md5", b"\x01" * 16)],
            media=True,
        )
        assert {outcome.item_id for outcome in media} == {media[0].entry_id}
        (video,) = store.add_entries(
            hash_list.id, [NewEntry("vpdq", b"\x02" * 32)], item_id=media[0].item_id
        )
        assert video.item_id == media[0].item_id
        raw = store.add_entries(
            hash_list.id, [NewEntry("md5", b"\x03" * 16), NewEntry("md5", b"\x04" * 16)]
        )
        assert [outcome.item_id for outcome in raw] == [outcome.entry_id for outcome in raw]
        again = store.add_entries(hash_list.id, [NewEntry("md5", b"\x01" * 16)])
        assert again[0].item_id == media[0].item_id and not again[0].created

        store.import_entries(
            hash_list.id,
            [
                ImportRow(1, "md5", b"\x05" * 16, {}),
                ImportRow(2, "md5", b"\x06" * 16, {"retired_at": AT, "retired_reason": "old"}),
                ImportRow(3, "md5", b"\x03" * 16, {"retired_at": LATER, "retired_reason": "fp"}),
            ],
        )
        items = store.search_items(ItemQuery(limit=100))
        assert all(item.entries for item in items)
        assert sum(len(item.entries) for item in items) == store.count_entries(live_only=False)
        by_hash = {item.entries[0].value: item for item in items}
        assert by_hash[b"\x05" * 16].live
        assert by_hash[b"\x06" * 16].retired_reason == "old"
        assert by_hash[b"\x03" * 16].retired_reason == "fp"
        media_item = store.get_item(media[0].entry_id)
        assert [entry.algorithm for entry in media_item.entries] == ["pdq", "md5", "vpdq"]
    finally:
        store.close()
