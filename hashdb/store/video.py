"""Storage of video frame hashes and per-list video match rules (SQL, both dialects).

A video reference is one row in ``entries`` (algorithm ``vpdq``) whose sampled frames live in
``video_frames``; the frames are written in the same transaction as the entry, so the entry's
ADD in the change sequence is only visible together with its frames. :class:`SQLVideoStore` is
a mixin of :class:`~hashdb.store.sql.SQLStore`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from hashdb.errors import InvalidValue
from hashdb.hashing.vpdq import VIDEO_ALGORITHM
from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import ChangeKind, NewVideoFrame, VideoFrame, VideoRule
from hashdb.store.rows import in_chunks


def frame_row(entry_id: int, frame: NewVideoFrame) -> dict[str, Any]:
    """A ``video_frames`` row."""
    return {
        "entry_id": entry_id,
        "frame_index": frame.index,
        "timestamp": frame.timestamp,
        "duration": frame.duration,
        "pdq": frame.value,
        "quality": frame.quality,
        "band_pdq": frame.band,
    }


class VideoSQL(SQLMixin):
    """The :class:`~hashdb.store.base.VideoStore` half of the SQL store."""

    def add_video_frames(self, entry_id: int, frames: Sequence[NewVideoFrame]) -> None:
        if not frames:
            return
        with self._writing() as connection:
            connection.execute(
                schema.video_frames.insert(), [frame_row(entry_id, frame) for frame in frames]
            )

    def video_frames(self, entry_ids: Sequence[int]) -> dict[int, list[VideoFrame]]:
        """The frames of these entries (live or not), in frame order."""
        table = schema.video_frames
        found: dict[int, list[VideoFrame]] = {}
        with self._reading() as connection:
            for chunk in in_chunks(int(entry_id) for entry_id in entry_ids):
                rows = connection.execute(
                    sa.select(table)
                    .where(table.c.entry_id.in_(chunk))
                    .order_by(table.c.entry_id, table.c.frame_index)
                )
                for row in rows:
                    found.setdefault(row.entry_id, []).append(_frame_from_row(row))
        return found

    def iter_live_video_frames(self, batch_size: int = 100_000) -> Iterator[list[VideoFrame]]:
        """Frames of every live video entry, in batches, for building the frame index."""
        frames, entries = schema.video_frames, schema.entries
        query = (
            sa.select(frames)
            .join(entries, entries.c.id == frames.c.entry_id)
            .where(entries.c.retired_at.is_(None), entries.c.algorithm == VIDEO_ALGORITHM)
            .order_by(frames.c.id)
        )
        with self._reading() as connection:
            result = connection.execution_options(yield_per=batch_size).execute(query)
            for rows in result.partitions(batch_size):
                yield [_frame_from_row(row) for row in rows]

    def video_rules(self) -> dict[int, VideoRule]:
        table = schema.video_rules
        with self._reading() as connection:
            return {
                row.list_id: VideoRule(row.min_query_share, row.min_reference_share)
                for row in connection.execute(sa.select(table))
            }

    def set_video_rule(self, list_id: int, rule: VideoRule) -> None:
        for name in ("min_query_share", "min_reference_share"):
            value = getattr(rule, name)
            if not 0.0 <= value <= 1.0:
                raise InvalidValue(f"{name} must be between 0 and 1", **{name: value})
        table = schema.video_rules
        values: dict[str, Any] = {
            "min_query_share": float(rule.min_query_share),
            "min_reference_share": float(rule.min_reference_share),
            "updated_at": datetime.now(UTC),
        }
        with self._writing() as connection:
            updated = connection.execute(
                table.update().where(table.c.list_id == list_id).values(**values)
            ).rowcount
            if not updated:
                connection.execute(table.insert().values(list_id=list_id, **values))
            # Other processes reload list settings on a LIST change.
            self._log_change(connection, ChangeKind.LIST, list_id=list_id)


def _frame_from_row(row: sa.Row[Any]) -> VideoFrame:
    return VideoFrame(
        id=row.id,
        entry_id=row.entry_id,
        index=row.frame_index,
        timestamp=float(row.timestamp),
        duration=float(row.duration),
        value=bytes(row.pdq),
        quality=int(row.quality),
        band=bytes(row.band_pdq) if row.band_pdq is not None else None,
    )
