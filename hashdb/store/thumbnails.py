"""Thumbnails (the ``thumbnails`` table): kept, read, and deleted when their time is up.

An upload thumbnail belongs to a pending review item: resolving the item deletes it
(:meth:`ReviewSQL.resolve_review_item` calls :meth:`ThumbnailSQL._delete_review_thumbnail`),
and :meth:`ThumbnailSQL.purge_thumbnails` deletes those older than the retention period. A
reference thumbnail belongs to a media item on a list that keeps thumbnails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hashdb.errors import ThumbnailNotFound
from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import ReviewStatus, Thumbnail, ThumbnailKind
from hashdb.store.rows import aware, in_chunks, utcnow

if TYPE_CHECKING:
    from hashdb.media.thumbnail import Picture

_META = [column for column in schema.thumbnails.c if column.name != "data"]


class ThumbnailSQL(SQLMixin):
    def keep_upload_thumbnails(self, review_item_ids: Sequence[int], picture: Picture) -> int:
        """Keep ``picture`` with each pending review item that has no thumbnail yet; how
        many were kept."""
        table, queue = schema.thumbnails, schema.review_queue
        ids = list(dict.fromkeys(int(i) for i in review_item_ids))
        if not ids:
            return 0
        now = utcnow()
        kept = 0
        with self._writing() as connection:
            rows = connection.execute(
                sa.select(queue.c.id, queue.c.list_id).where(
                    queue.c.id.in_(ids),
                    queue.c.status == ReviewStatus.PENDING.value,
                    ~sa.exists().where(table.c.review_item_id == queue.c.id),
                )
            ).all()
            for row in rows:
                connection.execute(
                    table.insert().values(
                        kind=ThumbnailKind.UPLOAD.value,
                        list_id=row.list_id,
                        review_item_id=row.id,
                        created_at=now,
                        **_picture_values(picture),
                    )
                )
                kept += 1
        return kept

    def keep_item_thumbnail(self, item_id: int, picture: Picture) -> bool:
        """Keep ``picture`` with a media item that has none yet; whether it was kept."""
        table, items = schema.thumbnails, schema.items
        with self._writing() as connection:
            list_id = connection.execute(
                sa.select(items.c.list_id).where(items.c.id == item_id)
            ).scalar()
            if list_id is None:
                return False
            exists = connection.execute(
                sa.select(table.c.id).where(table.c.item_id == item_id)
            ).first()
            if exists is not None:
                return False
            connection.execute(
                table.insert().values(
                    kind=ThumbnailKind.REFERENCE.value,
                    list_id=list_id,
                    item_id=item_id,
                    created_at=utcnow(),
                    **_picture_values(picture),
                )
            )
        return True

    def adopt_upload_thumbnail(self, review_item_id: int, item_id: int) -> bool:
        """Make a review item's upload thumbnail the thumbnail of the media item its hashes
        became (on a list that keeps thumbnails), unless that item has one; whether it did."""
        table, items = schema.thumbnails, schema.items
        with self._writing() as connection:
            list_id = connection.execute(
                sa.select(items.c.list_id).where(items.c.id == item_id)
            ).scalar()
            taken = connection.execute(
                sa.select(table.c.id).where(table.c.item_id == item_id)
            ).first()
            if list_id is None or taken is not None:
                return False
            return bool(
                connection.execute(
                    table.update()
                    .where(table.c.review_item_id == review_item_id)
                    .values(
                        kind=ThumbnailKind.REFERENCE.value,
                        list_id=list_id,
                        review_item_id=None,
                        item_id=item_id,
                    )
                ).rowcount
            )

    def get_thumbnail(self, thumbnail_id: int) -> Thumbnail:
        table = schema.thumbnails
        with self._reading() as connection:
            row = connection.execute(sa.select(*_META).where(table.c.id == thumbnail_id)).first()
        if row is None:
            raise ThumbnailNotFound(
                f"no thumbnail with id {thumbnail_id}", thumbnail_id=thumbnail_id
            )
        return _thumbnail(row)

    def thumbnail_data(self, thumbnail_id: int) -> bytes:
        table = schema.thumbnails
        with self._reading() as connection:
            data = connection.execute(
                sa.select(table.c.data).where(table.c.id == thumbnail_id)
            ).scalar()
        if data is None:
            raise ThumbnailNotFound(
                f"no thumbnail with id {thumbnail_id}", thumbnail_id=thumbnail_id
            )
        return bytes(data)

    def review_thumbnails(self, review_item_ids: Sequence[int]) -> dict[int, Thumbnail]:
        """The upload thumbnails of these review items, by review item id."""
        found = self._thumbnails_by(schema.thumbnails.c.review_item_id, review_item_ids)
        return {thumb.review_item_id: thumb for thumb in found if thumb.review_item_id}

    def item_thumbnails(self, item_ids: Sequence[int]) -> dict[int, Thumbnail]:
        """The reference thumbnails of these media items, by item id."""
        found = self._thumbnails_by(schema.thumbnails.c.item_id, item_ids)
        return {thumb.item_id: thumb for thumb in found if thumb.item_id}

    def _thumbnails_by(self, column: sa.Column[Any], ids: Sequence[int]) -> list[Thumbnail]:
        found: list[Thumbnail] = []
        with self._reading() as connection:
            for chunk in in_chunks(int(i) for i in ids):
                rows = connection.execute(sa.select(*_META).where(column.in_(chunk)))
                found.extend(_thumbnail(row) for row in rows)
        return found

    def delete_list_thumbnails(self, list_id: int) -> int:
        """Delete the reference thumbnails of a list (it no longer keeps them)."""
        table = schema.thumbnails
        with self._writing() as connection:
            return connection.execute(
                table.delete().where(
                    table.c.list_id == list_id,
                    table.c.kind == ThumbnailKind.REFERENCE.value,
                )
            ).rowcount

    def purge_thumbnails(self, kept_before: datetime) -> dict[int, int]:
        """Delete the upload thumbnails kept before ``kept_before``, and any whose review item
        is no longer pending: list id -> how many were deleted."""
        table, queue = schema.thumbnails, schema.review_queue
        # Resolving deletes an item's thumbnail; this catches any a resolution left behind
        # (one primary-key probe per upload thumbnail, and there are few: they expire).
        resolved = sa.exists().where(
            queue.c.id == table.c.review_item_id,
            queue.c.status != ReviewStatus.PENDING.value,
        )
        with self._writing() as connection:
            rows = connection.execute(
                sa.select(table.c.id, table.c.list_id).where(
                    table.c.kind == ThumbnailKind.UPLOAD.value,
                    sa.or_(table.c.created_at < kept_before, resolved),
                )
            ).all()
            ids = [row.id for row in rows]
            for chunk in in_chunks(ids):
                connection.execute(table.delete().where(table.c.id.in_(chunk)))
        deleted: dict[int, int] = {}
        for row in rows:
            deleted[row.list_id] = deleted.get(row.list_id, 0) + 1
        return deleted

    def _delete_review_thumbnail(self, connection: sa.Connection, review_item_id: int) -> None:
        table = schema.thumbnails
        connection.execute(table.delete().where(table.c.review_item_id == review_item_id))


def _picture_values(picture: Picture) -> dict[str, Any]:
    return {
        "content_type": picture.content_type,
        "width": picture.width,
        "height": picture.height,
        "frames": picture.frames,
        "data": picture.data,
    }


def _thumbnail(row: sa.Row[Any]) -> Thumbnail:
    return Thumbnail(
        id=row.id,
        kind=ThumbnailKind(row.kind),
        list_id=row.list_id,
        review_item_id=row.review_item_id,
        item_id=row.item_id,
        content_type=row.content_type,
        width=row.width,
        height=row.height,
        frames=row.frames,
        created_at=aware(row.created_at),
    )
