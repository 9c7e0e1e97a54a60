"""The label vocabulary of a deployment and the labels on entries.

A label is ``facet:value`` (``entity:group-x``, ``type:execution``, ``severity:high``). The
deployment's vocabulary (table ``label_vocabulary``, managed with ``hashdb labels`` or
``/v1/labels``) lists every allowed pair; a label outside it is refused on write, so a typo
never splits one group into two. Entries keep their labels in ``entry_labels``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from hashdb.errors import InvalidLabel
from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import (
    ChangeKind,
    VocabularyTerm,
    normalise_labels,
    parse_facet,
    parse_label,
    parse_value,
)
from hashdb.store.rows import entry_labels

_FACET = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_VALUE = re.compile(r"[a-z0-9][a-z0-9._/+-]{0,199}")


class LabelSQL(SQLMixin):
    def vocabulary(self) -> list[VocabularyTerm]:
        table = schema.label_vocabulary
        with self._reading() as connection:
            rows = connection.execute(sa.select(table).order_by(table.c.facet, table.c.value))
            return [_term(row) for row in rows]

    def add_vocabulary(
        self, facet: str, values: Sequence[str], description: str = ""
    ) -> list[VocabularyTerm]:
        """Add terms to the vocabulary; terms already there are kept as they are."""
        facet = parse_facet(facet)
        cleaned = list(dict.fromkeys(parse_value(value) for value in values))
        if not cleaned:
            raise InvalidLabel("give at least one value")
        table = schema.label_vocabulary
        with self._writing() as connection:
            existing = {
                row.value
                for row in connection.execute(
                    sa.select(table.c.value).where(
                        table.c.facet == facet, table.c.value.in_(cleaned)
                    )
                )
            }
            now = datetime.now(UTC)
            new = [
                {"facet": facet, "value": value, "description": description, "created_at": now}
                for value in cleaned
                if value not in existing
            ]
            if new:
                connection.execute(table.insert(), new)
        return [term for term in self.vocabulary() if term.facet == facet and term.value in cleaned]

    def remove_vocabulary(self, label: str) -> VocabularyTerm:
        """Remove a term: it can no longer be written; entries that carry it keep it."""
        facet, value = parse_label(label)
        table = schema.label_vocabulary
        with self._writing() as connection:
            row = connection.execute(
                sa.select(table).where(table.c.facet == facet, table.c.value == value)
            ).first()
            if row is None:
                raise InvalidLabel(f"{facet}:{value} is not in the vocabulary", label=label)
            connection.execute(table.delete().where(table.c.facet == facet, table.c.value == value))
            return _term(row)

    def check_labels(self, labels: Iterable[str]) -> tuple[str, ...]:
        """Normalise labels and refuse any that the vocabulary does not list."""
        normalised = normalise_labels(labels)
        if not normalised:
            return ()
        known = {term.label for term in self.vocabulary()}
        unknown = [label for label in normalised if label not in known]
        if unknown:
            raise InvalidLabel(
                f"not in the label vocabulary: {', '.join(unknown)} "
                "(see `hashdb labels`; add terms with `hashdb labels add FACET VALUE...`)",
                unknown=unknown,
            )
        return normalised

    def set_entry_labels(
        self, entry_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> tuple[str, ...]:
        """Add and remove labels on one entry; added ones must be in the vocabulary."""
        to_add = self.check_labels(add)
        to_remove = normalise_labels(remove)
        table = schema.entry_labels
        with self._writing() as connection:
            current = set(entry_labels(connection, [entry_id]).get(entry_id, ()))
            if to_remove:
                connection.execute(
                    table.delete().where(table.c.entry_id == entry_id, table.c.label.in_(to_remove))
                )
            new = [label for label in to_add if label not in current]
            if new:
                connection.execute(
                    table.insert(), [{"entry_id": entry_id, "label": label} for label in new]
                )
            self._log_change(connection, ChangeKind.UPDATE, entry_id=entry_id)
            return tuple(sorted((current - set(to_remove)) | set(to_add)))

    def _insert_entry_labels(
        self, connection: sa.Connection, rows: Sequence[tuple[int, Sequence[str]]]
    ) -> None:
        values = [
            {"entry_id": entry_id, "label": label} for entry_id, labels in rows for label in labels
        ]
        if values:
            connection.execute(schema.entry_labels.insert(), values)


def _term(row: sa.Row[Any]) -> VocabularyTerm:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return VocabularyTerm(row.facet, row.value, row.description, created)
