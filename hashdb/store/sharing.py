"""Organisations, and who owns and shares each list (the ``list_settings`` side table).

A list without a settings row is a deployment list: no owner, shared read-only with every
member, no review radius. Changing a list's settings appends a ``list`` change, so every
process's caches follow it like any other list change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hashdb.errors import Conflict, OrganisationNotFound
from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import ChangeKind, ListSettings, Organisation, Sharing, clean_name
from hashdb.store.rows import aware, utcnow


class SharingSQL(SQLMixin):
    # --- organisations ------------------------------------------------------------------

    def create_organisation(self, name: str, description: str = "") -> Organisation:
        name = clean_name(name)
        with self._writing() as connection:
            try:
                connection.execute(
                    schema.organisations.insert().values(
                        name=name, description=description, created_at=utcnow()
                    )
                )
            except IntegrityError:
                raise Conflict(
                    f"an organisation named {name!r} already exists", organisation=name
                ) from None
            return self.get_organisation(name)

    def get_organisation(self, name: str) -> Organisation:
        table = schema.organisations
        with self._reading() as connection:
            row = connection.execute(sa.select(table).where(table.c.name == name)).first()
        if row is None:
            raise OrganisationNotFound(f"no organisation named {name!r}", organisation=name)
        return Organisation(row.id, row.name, row.description, aware(row.created_at))

    def ensure_organisation(self, name: str) -> Organisation:
        with self._writing():
            try:
                return self.get_organisation(name)
            except OrganisationNotFound:
                return self.create_organisation(name)

    def organisations(self) -> list[Organisation]:
        table = schema.organisations
        with self._reading() as connection:
            rows = connection.execute(sa.select(table).order_by(table.c.name))
            return [
                Organisation(row.id, row.name, row.description, aware(row.created_at))
                for row in rows
            ]

    # --- list settings ------------------------------------------------------------------

    def list_settings(self, list_id: int) -> ListSettings:
        table = schema.list_settings
        with self._reading() as connection:
            row = connection.execute(sa.select(table).where(table.c.list_id == list_id)).first()
        return ListSettings(list_id) if row is None else _settings_from_row(row)

    def all_list_settings(self) -> dict[int, ListSettings]:
        with self._reading() as connection:
            rows = connection.execute(sa.select(schema.list_settings))
            return {row.list_id: _settings_from_row(row) for row in rows}

    def save_list_settings(self, settings: ListSettings) -> ListSettings:
        """Write a list's owner, sharing, review radius and whether it keeps thumbnails
        (validated by the service)."""
        table = schema.list_settings
        values = {
            "owner_organisation": settings.owner,
            "sharing": Sharing(settings.sharing).value,
            "review_radius": dict(settings.review_radius),
            "keep_thumbnails": settings.keep_thumbnails,
            "updated_at": utcnow(),
        }
        with self._writing() as connection:
            exists = connection.execute(
                sa.select(table.c.list_id).where(table.c.list_id == settings.list_id)
            ).first()
            if exists is None:
                connection.execute(table.insert().values(list_id=settings.list_id, **values))
            else:
                connection.execute(
                    table.update().where(table.c.list_id == settings.list_id).values(**values)
                )
            self._log_change(connection, ChangeKind.LIST, list_id=settings.list_id)
            return self.list_settings(settings.list_id)


def _settings_from_row(row: sa.Row[Any]) -> ListSettings:
    return ListSettings(
        list_id=row.list_id,
        owner=row.owner_organisation,
        sharing=Sharing(row.sharing),
        review_radius={str(k): int(v) for k, v in dict(row.review_radius or {}).items()},
        keep_thumbnails=bool(row.keep_thumbnails),
    )
