"""Thumbnails in the store (revision 0006): an existing database gains the table and its lists
keep none until told; an upload thumbnail lives with its pending review item, goes when the
item is resolved or once expired, and a reference thumbnail with its media item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from hashdb.errors import ThumbnailNotFound
from hashdb.media.thumbnail import Picture
from hashdb.store import NewEntry, Store, open_store
from hashdb.store.migrations.runner import alembic_config
from hashdb.store.models import (
    ListSettings,
    NewReviewItem,
    QueryHash,
    ReviewStatus,
    ThumbnailKind,
)
from tests.store.databases import differences_from_models, raw_engine

AT = datetime(2026, 1, 2, tzinfo=UTC)
PICTURE = Picture(b"RIFF....WEBPVP8 tiny", "image/webp", 160, 90)
STRIP = Picture(b"RIFF....WEBPVP8 strip", "image/webp", 486, 68, frames=4)


def _insert(connection: sa.Connection, table: str, **values: object) -> None:
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    connection.execute(reflected.insert().values(**values))


def test_upgrading_from_items_adds_thumbnails_and_no_list_keeps_any(db_url: str) -> None:
    engine = raw_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    with engine.begin() as connection:
        _insert(
            connection,
            "lists",
            id=1,
            name="terror",
            description="",
            action="review",
            thresholds={"pdq": 20},
            created_at=AT,
            updated_at=AT,
        )
        _insert(
            connection,
            "list_settings",
            list_id=1,
            owner_organisation="acme",
            sharing="private",
            review_radius={"pdq": 45},
            updated_at=AT,
        )
        _insert(connection, "items", id=5, list_id=1, kind="media", created_at=AT)
        _insert(
            connection,
            "entries",
            id=5,
            list_id=1,
            algorithm="pdq",
            hash=bytes(32),
            added_at=AT,
            item_id=5,
        )
        _insert(
            connection,
            "review_queue",
            id=9,
            list_id=1,
            entry_id=5,
            algorithm="pdq",
            query_hash=bytes(32),
            query_hashes=[],
            distance=30,
            threshold=20,
            review_radius=45,
            status="pending",
            first_seen_at=AT,
            last_seen_at=AT,
            seen_count=1,
        )
    store = open_store(db_url)
    try:
        with engine.connect() as connection:
            assert differences_from_models(connection) == []
        settings = store.list_settings(1)
        assert settings.keep_thumbnails is False
        assert (settings.owner, settings.review_radius) == ("acme", {"pdq": 45})
        assert store.keep_upload_thumbnails([9], PICTURE) == 1
        assert store.keep_item_thumbnail(5, PICTURE)
        assert set(store.review_thumbnails([9])) == {9}
        assert set(store.item_thumbnails([5])) == {5}
    finally:
        store.close()
        engine.dispose()


def _near_miss(store: Store, seed: int) -> tuple[int, int]:
    """A list, an entry, and one pending review item of it: (list id, review item id)."""
    hash_list = store.ensure_list(f"list-{seed}")
    (added,) = store.add_entries(hash_list.id, [NewEntry("pdq", bytes([seed]) * 32)])
    (item_id,) = store.record_near_misses(
        [
            NewReviewItem(
                list_id=hash_list.id,
                entry_id=added.entry_id,
                algorithm="pdq",
                query_hash=bytes([seed + 1]) * 32,
                query_hashes=(QueryHash("pdq", (bytes([seed + 1]) * 32).hex(), 90),),
                distance=30,
                threshold=20,
                review_radius=45,
                platform="uploads",
                organisation="acme",
            )
        ]
    )
    return hash_list.id, item_id


def test_an_upload_thumbnail_lives_while_its_review_item_is_pending(store: Store) -> None:
    list_id, item_id = _near_miss(store, 1)
    assert store.keep_upload_thumbnails([item_id, item_id], PICTURE) == 1
    assert store.keep_upload_thumbnails([item_id], STRIP) == 0  # one per item: kept once
    thumbnail = store.review_thumbnails([item_id])[item_id]
    assert (thumbnail.kind, thumbnail.list_id, thumbnail.item_id) == (
        ThumbnailKind.UPLOAD,
        list_id,
        None,
    )
    assert (thumbnail.width, thumbnail.height, thumbnail.frames, thumbnail.video) == (
        160,
        90,
        1,
        False,
    )
    assert store.get_thumbnail(thumbnail.id) == thumbnail
    assert store.thumbnail_data(thumbnail.id) == PICTURE.data

    store.resolve_review_item(item_id, ReviewStatus.DISMISSED, "ana", None)
    assert store.review_thumbnails([item_id]) == {}
    with pytest.raises(ThumbnailNotFound):
        store.get_thumbnail(thumbnail.id)
    with pytest.raises(ThumbnailNotFound):
        store.thumbnail_data(thumbnail.id)
    # A resolved item never gets one again.
    assert store.keep_upload_thumbnails([item_id], PICTURE) == 0


def test_purging_deletes_upload_thumbnails_kept_before_the_cut_only(store: Store) -> None:
    list_a, old = _near_miss(store, 1)
    _list_b, recent = _near_miss(store, 3)
    store.keep_upload_thumbnails([old, recent], STRIP)
    hash_list = store.ensure_list("references")
    (reference,) = store.add_entries(hash_list.id, [NewEntry("pdq", bytes([7]) * 32)], media=True)
    assert reference.item_id is not None
    assert store.keep_item_thumbnail(reference.item_id, PICTURE)
    assert not store.keep_item_thumbnail(reference.item_id, PICTURE)  # one per item

    assert store.purge_thumbnails(datetime.now(UTC) - timedelta(days=1)) == {}
    engine = raw_engine(store.url)
    with engine.begin() as connection:  # the first was kept long ago
        connection.execute(
            sa.text("UPDATE thumbnails SET created_at = :at WHERE review_item_id = :id"),
            {"at": datetime.now(UTC) - timedelta(days=31), "id": old},
        )
    engine.dispose()
    assert store.purge_thumbnails(datetime.now(UTC) - timedelta(days=30)) == {list_a: 1}
    assert set(store.review_thumbnails([old, recent])) == {recent}
    # One whose item was closed behind the store's back goes whatever its age.
    list_c, closed = _near_miss(store, 5)
    store.keep_upload_thumbnails([closed], PICTURE)
    engine = raw_engine(store.url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE review_queue SET status = 'dismissed' WHERE id = :id"), {"id": closed}
        )
    engine.dispose()
    assert store.purge_thumbnails(datetime.now(UTC) - timedelta(days=30)) == {list_c: 1}
    # A cut in the future takes every upload thumbnail, never a reference's.
    assert sum(store.purge_thumbnails(datetime.now(UTC) + timedelta(seconds=1)).values()) == 1
    assert set(store.item_thumbnails([reference.item_id])) == {reference.item_id}


def test_a_list_that_stops_keeping_thumbnails_loses_its_references(store: Store) -> None:
    hash_list = store.ensure_list("references")
    store.save_list_settings(ListSettings(hash_list.id, keep_thumbnails=True))
    assert store.list_settings(hash_list.id).keep_thumbnails
    (added,) = store.add_entries(hash_list.id, [NewEntry("pdq", bytes([7]) * 32)], media=True)
    assert added.item_id is not None
    store.keep_item_thumbnail(added.item_id, PICTURE)
    _list_id, item_id = _near_miss(store, 1)
    store.keep_upload_thumbnails([item_id], PICTURE)
    assert store.delete_list_thumbnails(hash_list.id) == 1
    assert store.item_thumbnails([added.item_id]) == {}
    assert set(store.review_thumbnails([item_id])) == {item_id}
