"""Organisations, and who owns and shares each list (the ``list_settings`` side table).

A list without a settings row is a deployment list: no owner, shared read-only with every
member, no review radius. Changing a list's settings appends a ``list`` change, so every
process's caches follow it like any other list change.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hashdb.errors import Conflict, InvalidValue, OrganisationNotFound
from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import ChangeKind


class Sharing(enum.StrEnum):
    """Who besides the owner organisation may see and change a list."""

    PRIVATE = "private"  # only the owner organisation sees or matches it
    SHARED_READ = "shared-read"  # every member matches and reads it; only the owner writes
    SHARED_WRITE = "shared-write"  # every member's analysts may also add and retire


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    name: str
    description: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ListSettings:
    list_id: int
    owner: str | None = None
    sharing: Sharing = Sharing.SHARED_READ
    #: Algorithm -> radius wider than the list's threshold; hits in between are near-misses
    #: recorded in the review queue.
    review_radius: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "sharing": self.sharing.value,
            "review_radius": dict(self.review_radius),
        }


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def clean_name(name: str, what: str = "an organisation") -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 200:
        raise InvalidValue(f"{what} needs a name of 1 to 200 characters")
    return cleaned


class SharingSQL(SQLMixin):
    # --- organisations ------------------------------------------------------------------

    def create_organisation(self, name: str, description: str = "") -> Organisation:
        name = clean_name(name)
        with self._writing() as connection:
            try:
                connection.execute(
                    schema.organisations.insert().values(
                        name=name, description=description, created_at=_now()
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
        return Organisation(row.id, row.name, row.description, _aware(row.created_at))

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
                Organisation(row.id, row.name, row.description, _aware(row.created_at))
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
        """Write a list's owner, sharing and review radius (validated by the service)."""
        table = schema.list_settings
        values = {
            "owner_organisation": settings.owner,
            "sharing": Sharing(settings.sharing).value,
            "review_radius": dict(settings.review_radius),
            "updated_at": _now(),
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
    )
