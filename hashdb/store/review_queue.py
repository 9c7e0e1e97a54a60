"""The review queue: near-misses waiting for an analyst.

A query hash that lands outside a list's threshold but within its review radius is a
near-miss: it may be a new variant of listed media, or something innocent. Each one is kept
with every hash of the query media, so an analyst can promote it to entries, dismiss it, or
allow-list it without ever having seen the media. Seeing the same near-miss again bumps its
count instead of adding a row (one pending item per entry and query hash).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hashdb.errors import Conflict, ReviewItemNotFound
from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import NewReviewItem, QueryHash, ReviewItem, ReviewStatus
from hashdb.store.rows import aware, utcnow


class ReviewSQL(SQLMixin):
    if TYPE_CHECKING:

        def _delete_review_thumbnail(
            self, connection: sa.Connection, review_item_id: int
        ) -> None: ...

    def record_near_misses(self, items: Sequence[NewReviewItem]) -> list[int]:
        """Queue near-misses; one already pending is counted again, not repeated."""
        table = schema.review_queue
        ids: list[int] = []
        now = utcnow()
        with self._writing() as connection:
            for item in items:
                existing = connection.execute(
                    sa.select(table.c.id).where(
                        table.c.entry_id == item.entry_id,
                        table.c.algorithm == item.algorithm,
                        table.c.query_hash == item.query_hash,
                        table.c.status == ReviewStatus.PENDING.value,
                    )
                ).first()
                if existing is not None:
                    connection.execute(
                        table.update()
                        .where(table.c.id == existing.id)
                        .values(last_seen_at=now, seen_count=table.c.seen_count + 1)
                    )
                    ids.append(existing.id)
                    continue
                ids.append(
                    connection.execute(
                        table.insert()
                        .values(
                            list_id=item.list_id,
                            entry_id=item.entry_id,
                            algorithm=item.algorithm,
                            query_hash=item.query_hash,
                            query_hashes=[query.to_dict() for query in item.query_hashes],
                            distance=item.distance,
                            threshold=item.threshold,
                            review_radius=item.review_radius,
                            status=ReviewStatus.PENDING.value,
                            platform=item.platform,
                            organisation=item.organisation,
                            first_seen_at=now,
                            last_seen_at=now,
                            seen_count=1,
                        )
                        .returning(table.c.id)
                    ).scalar_one()
                )
        return ids

    def _review_query(self) -> sa.Select[Any]:
        table = schema.review_queue
        return (
            sa.select(
                table,
                schema.lists.c.name.label("list_name"),
                schema.entries.c.item_id.label("entry_item_id"),
            )
            .join(schema.lists, schema.lists.c.id == table.c.list_id)
            .join(schema.entries, schema.entries.c.id == table.c.entry_id)
        )

    def review_items(
        self,
        *,
        status: ReviewStatus | None = ReviewStatus.PENDING,
        list_ids: Collection[int] | None = None,
        limit: int = 100,
    ) -> list[ReviewItem]:
        table = schema.review_queue
        query = self._review_query().order_by(table.c.id).limit(limit)
        if status is not None:
            query = query.where(table.c.status == ReviewStatus(status).value)
        if list_ids is not None:
            query = query.where(table.c.list_id.in_(list(list_ids)))
        with self._reading() as connection:
            return [_item(row) for row in connection.execute(query)]

    def get_review_item(self, item_id: int) -> ReviewItem:
        query = self._review_query().where(schema.review_queue.c.id == item_id)
        with self._reading() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise ReviewItemNotFound(f"no review item with id {item_id}", item_id=item_id)
        return _item(row)

    def resolve_review_item(
        self,
        item_id: int,
        status: ReviewStatus,
        resolved_by: str | None,
        note: str | None,
        result_entry_ids: Sequence[int] = (),
    ) -> ReviewItem:
        """Close a pending item (and delete its upload thumbnail); a closed item cannot be
        resolved again."""
        table = schema.review_queue
        with self._writing() as connection:
            item = self.get_review_item(item_id)
            if item.status is not ReviewStatus.PENDING:
                raise Conflict(
                    f"review item {item_id} is already {item.status.value}",
                    item_id=item_id,
                    status=item.status.value,
                )
            connection.execute(
                table.update()
                .where(table.c.id == item_id)
                .values(
                    status=ReviewStatus(status).value,
                    resolved_at=utcnow(),
                    resolved_by=resolved_by,
                    resolution_note=note,
                    result_entry_ids=list(result_entry_ids),
                )
            )
            # A resolved item needs no picture: its upload thumbnail goes with the decision.
            self._delete_review_thumbnail(connection, item_id)
            return self.get_review_item(item_id)


def _item(row: sa.Row[Any]) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        list_id=row.list_id,
        list_name=row.list_name,
        entry_id=row.entry_id,
        algorithm=row.algorithm,
        query_hash=bytes(row.query_hash),
        query_hashes=tuple(
            QueryHash(str(q["algorithm"]), str(q["hash"]), q.get("quality"))
            for q in row.query_hashes or []
        ),
        distance=row.distance,
        threshold=row.threshold,
        review_radius=row.review_radius,
        status=ReviewStatus(row.status),
        platform=row.platform,
        organisation=row.organisation,
        first_seen_at=aware(row.first_seen_at),
        last_seen_at=aware(row.last_seen_at),
        seen_count=row.seen_count,
        resolved_at=aware(row.resolved_at),
        resolved_by=row.resolved_by,
        resolution_note=row.resolution_note,
        result_entry_ids=tuple(int(i) for i in row.result_entry_ids or []),
        item_id=row.entry_item_id,
    )
