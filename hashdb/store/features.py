"""Storage for robust matching: reference-side variant hashes and geometric features.

Both tables hang off an entry (the PDQ entry of media added as a file); raw partner hashes
have neither, and robust matching degrades to plain hash matching for them. Rows are written
in the same transaction as their entry, so a process that sees the entry's change sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from hashdb.store import schema
from hashdb.store.models import ReferenceFeatures, ReferenceHash
from hashdb.store.rows import in_chunks


class FeatureSQL:
    """Mixed into :class:`~hashdb.store.sql.SQLStore`."""

    if TYPE_CHECKING:

        def _reading(self) -> AbstractContextManager[sa.Connection]: ...
        def _writing(self) -> AbstractContextManager[sa.Connection]: ...

    def add_reference_data(
        self,
        entry_id: int,
        features: ReferenceFeatures,
        hashes: Sequence[tuple[str, str, bytes]],
    ) -> bool:
        """Store features and ``(variant, algorithm, hash)`` rows for an entry, once.

        Returns False (and writes nothing) when the entry already has features."""
        with self._writing() as connection:
            exists = connection.execute(
                sa.select(schema.reference_features.c.entry_id).where(
                    schema.reference_features.c.entry_id == entry_id
                )
            ).first()
            if exists is not None:
                return False
            connection.execute(
                schema.reference_features.insert().values(
                    entry_id=entry_id,
                    width=features.width,
                    height=features.height,
                    keypoints=features.keypoints,
                    descriptors=features.descriptors,
                    thumb_width=features.thumb_width,
                    thumb_height=features.thumb_height,
                    thumbnail=features.thumbnail,
                    created_at=datetime.now(UTC),
                )
            )
            if hashes:
                connection.execute(
                    schema.reference_hashes.insert(),
                    [
                        {"entry_id": entry_id, "variant": v, "algorithm": a, "hash": h}
                        for v, a, h in hashes
                    ],
                )
        return True

    def reference_features(self, entry_ids: Sequence[int]) -> dict[int, ReferenceFeatures]:
        table = schema.reference_features
        found: dict[int, ReferenceFeatures] = {}
        ids = sorted(set(entry_ids))
        with self._reading() as connection:
            for chunk in in_chunks(ids):
                rows = connection.execute(sa.select(table).where(table.c.entry_id.in_(chunk)))
                for row in rows:
                    found[int(row.entry_id)] = ReferenceFeatures(
                        width=int(row.width),
                        height=int(row.height),
                        keypoints=bytes(row.keypoints),
                        descriptors=bytes(row.descriptors),
                        thumb_width=int(row.thumb_width),
                        thumb_height=int(row.thumb_height),
                        thumbnail=bytes(row.thumbnail),
                    )
        return found

    def reference_hashes(self, entry_ids: Sequence[int] | None = None) -> list[ReferenceHash]:
        """Rows of the given entries, or of every live entry when ``entry_ids`` is None."""
        table = schema.reference_hashes
        query = sa.select(table).order_by(table.c.id)
        with self._reading() as connection:
            if entry_ids is None:
                live = sa.select(schema.entries.c.id).where(schema.entries.c.retired_at.is_(None))
                rows = list(connection.execute(query.where(table.c.entry_id.in_(live))))
            else:
                ids = sorted(set(entry_ids))
                rows = []
                for chunk in in_chunks(ids):
                    rows.extend(connection.execute(query.where(table.c.entry_id.in_(chunk))))
        return [
            ReferenceHash(
                int(row.id), int(row.entry_id), row.variant, row.algorithm, bytes(row.hash)
            )
            for row in rows
        ]
