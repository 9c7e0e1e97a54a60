"""SQL for bulk rescans: scan jobs and the media-hash store, mixed into ``SQLStore``.

Scan jobs are checkpoints: one row per job, updated in one statement per checkpoint. The
media-hash store keeps every hash of every scanned file (one ``scanned_media`` row per
location, one ``scanned_hashes`` row per hash, video frames with their position), so later
entries can be matched against stored media without decoding any file again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hashdb.errors import ScanJobNotFound
from hashdb.store import schema
from hashdb.store.models import Entry, LiveHashes, ScanJob, ScannedMedia, ScanStatus, StoredHash
from hashdb.store.rows import aware, entry_from_row, in_chunks, utcnow


class ScanSQL:
    """The :class:`~hashdb.store.base.ScanStore` half of ``SQLStore``."""

    if TYPE_CHECKING:
        engine: sa.Engine

        def _reading(self) -> AbstractContextManager[sa.Connection]: ...
        def _writing(self) -> AbstractContextManager[sa.Connection]: ...
        def _insert(self, table: sa.Table) -> Any: ...
        def _entry_query(self) -> sa.Select[Any]: ...

    # --- scan jobs ----------------------------------------------------------------------

    def create_scan_job(self, params: dict[str, Any], owner: str | None) -> ScanJob:
        now = utcnow()
        with self._writing() as connection:
            job_id = connection.execute(
                schema.scan_jobs.insert()
                .values(
                    status=ScanStatus.RUNNING.value,
                    params=params,
                    owner=owner,
                    created_at=now,
                    updated_at=now,
                    done=0,
                    counters={},
                )
                .returning(schema.scan_jobs.c.id)
            ).scalar_one()
        return self.get_scan_job(int(job_id))

    def get_scan_job(self, job_id: int) -> ScanJob:
        with self._reading() as connection:
            row = connection.execute(
                sa.select(schema.scan_jobs).where(schema.scan_jobs.c.id == job_id)
            ).first()
        if row is None:
            raise ScanJobNotFound(f"no scan job with id {job_id}", job_id=job_id)
        return _job_from_row(row)

    def scan_jobs(self, limit: int = 100) -> list[ScanJob]:
        table = schema.scan_jobs
        with self._reading() as connection:
            rows = connection.execute(sa.select(table).order_by(table.c.id.desc()).limit(limit))
            return [_job_from_row(row) for row in rows]

    def update_scan_job(
        self,
        job_id: int,
        *,
        status: ScanStatus | None = None,
        owner: str | None = None,
        done: int | None = None,
        last_key: list[Any] | None = None,
        output_bytes: int | None = None,
        counters: dict[str, Any] | None = None,
    ) -> None:
        """Write a checkpoint (only the fields given) in one transaction."""
        now = utcnow()
        values: dict[str, Any] = {"updated_at": now}
        if status is not None:
            values["status"] = status.value
            values["finished_at"] = now if status is ScanStatus.COMPLETED else None
        if owner is not None:
            values["owner"] = owner
        if done is not None:
            values["done"] = done
        if last_key is not None:
            values["last_key"] = last_key
        if output_bytes is not None:
            values["output_bytes"] = output_bytes
        if counters is not None:
            values["counters"] = counters
        table = schema.scan_jobs
        with self._writing() as connection:
            updated = connection.execute(
                table.update().where(table.c.id == job_id).values(**values)
            ).rowcount
        if not updated:
            raise ScanJobNotFound(f"no scan job with id {job_id}", job_id=job_id)

    # --- media-hash store ---------------------------------------------------------------

    def get_scanned_media(self, locations: Sequence[str]) -> dict[str, ScannedMedia]:
        media = schema.scanned_media
        found: dict[str, ScannedMedia] = {}
        with self._reading() as connection:
            for chunk in in_chunks(locations):
                rows = connection.execute(sa.select(media).where(media.c.location.in_(chunk))).all()
                for record in self._with_hashes(connection, rows):
                    found[record.location] = record
        return found

    def put_scanned_media(self, records: Sequence[ScannedMedia]) -> None:
        """Store (or replace) the hashes of scanned files, all in one transaction."""
        if not records:
            return
        media, hashes = schema.scanned_media, schema.scanned_hashes
        now = utcnow()
        with self._writing() as connection:
            for record in records:
                values = {
                    "location": record.location,
                    "size_bytes": record.size_bytes,
                    "mtime_ns": record.mtime_ns,
                    "sha256": record.sha256,
                    "format": record.format,
                    "width": record.width,
                    "height": record.height,
                    "job_id": record.job_id,
                    "scanned_at": now,
                }
                statement = self._insert(media).values(**values)
                statement = statement.on_conflict_do_update(
                    index_elements=[media.c.location],
                    set_={key: value for key, value in values.items() if key != "location"},
                ).returning(media.c.id)
                media_id = int(connection.execute(statement).scalar_one())
                connection.execute(hashes.delete().where(hashes.c.media_id == media_id))
                if record.hashes:
                    connection.execute(
                        hashes.insert(),
                        [
                            {
                                "media_id": media_id,
                                "algorithm": stored.algorithm,
                                "hash": stored.value,
                                "quality": stored.quality,
                                "position_ms": stored.position_ms,
                            }
                            for stored in record.hashes
                        ],
                    )

    def count_scanned_media(self) -> int:
        with self._reading() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(schema.scanned_media)
                ).scalar_one()
            )

    def iter_scanned_hashes(
        self, algorithm: str, batch_size: int = 100_000
    ) -> Iterator[LiveHashes]:
        """Every stored hash of one algorithm as (hash row id, value) batches, for an index."""
        table = schema.scanned_hashes
        query = (
            sa.select(table.c.id, table.c.hash)
            .where(table.c.algorithm == algorithm)
            .order_by(table.c.id)
        )
        with self._reading() as connection:
            result = connection.execution_options(yield_per=batch_size).execute(query)
            for rows in result.partitions(batch_size):
                yield LiveHashes(
                    algorithm, [row[0] for row in rows], [bytes(row[1]) for row in rows]
                )

    def scanned_media_for_hashes(self, hash_ids: Sequence[int]) -> list[ScannedMedia]:
        """The scanned files owning these hash rows, ordered by location."""
        media, hashes = schema.scanned_media, schema.scanned_hashes
        media_ids: set[int] = set()
        found: list[ScannedMedia] = []
        with self._reading() as connection:
            for chunk in in_chunks(int(i) for i in hash_ids):
                media_ids.update(
                    int(row[0])
                    for row in connection.execute(
                        sa.select(hashes.c.media_id).where(hashes.c.id.in_(chunk))
                    )
                )
            ordered = sorted(media_ids)
            for chunk in in_chunks(ordered):
                rows = connection.execute(sa.select(media).where(media.c.id.in_(chunk))).all()
                found.extend(self._with_hashes(connection, rows))
        found.sort(key=lambda record: record.location)
        return found

    def _with_hashes(
        self, connection: sa.Connection, rows: Sequence[sa.Row[Any]]
    ) -> list[ScannedMedia]:
        if not rows:
            return []
        hashes = schema.scanned_hashes
        by_media: dict[int, list[StoredHash]] = {int(row.id): [] for row in rows}
        for hash_row in connection.execute(
            sa.select(hashes)
            .where(hashes.c.media_id.in_(list(by_media)))
            .order_by(hashes.c.media_id, hashes.c.id)
        ):
            by_media[int(hash_row.media_id)].append(
                StoredHash(
                    algorithm=hash_row.algorithm,
                    value=bytes(hash_row.hash),
                    quality=hash_row.quality,
                    position_ms=hash_row.position_ms,
                )
            )
        return [
            ScannedMedia(
                location=row.location,
                size_bytes=int(row.size_bytes),
                mtime_ns=int(row.mtime_ns),
                sha256=row.sha256,
                format=row.format,
                width=int(row.width),
                height=int(row.height),
                hashes=by_media[int(row.id)],
                job_id=row.job_id,
                scanned_at=aware(row.scanned_at),
            )
            for row in rows
        ]

    # --- retro-matching -----------------------------------------------------------------

    def entries_added_since(self, since: datetime) -> list[Entry]:
        """Live entries added at or after ``since``, oldest first."""

        entries = schema.entries
        query = (
            self._entry_query()
            .where(entries.c.added_at >= since, entries.c.retired_at.is_(None))
            .order_by(entries.c.id)
        )
        with self._reading() as connection:
            return [entry_from_row(row) for row in connection.execute(query)]


def _job_from_row(row: sa.Row[Any]) -> ScanJob:
    return ScanJob(
        id=int(row.id),
        status=ScanStatus(row.status),
        params=dict(row.params),
        owner=row.owner,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        finished_at=aware(row.finished_at),
        done=int(row.done),
        last_key=list(row.last_key) if row.last_key is not None else None,
        output_bytes=None if row.output_bytes is None else int(row.output_bytes),
        counters=dict(row.counters or {}),
    )
