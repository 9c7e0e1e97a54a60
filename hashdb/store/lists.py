"""The SQL of hash lists: create, read and update them (a list is addressed by its name)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hashdb.errors import InvalidValue, ListNameTaken, ListNotFound
from hashdb.store import schema
from hashdb.store.mixin import SQLMixin
from hashdb.store.models import (
    ChangeKind,
    HashList,
    ListAction,
    MatchingMode,
    NewList,
    default_thresholds,
    validate_thresholds,
)
from hashdb.store.models.text import check_list_name, check_text
from hashdb.store.rows import list_from_row, utcnow


class ListSQL(SQLMixin):
    def create_list(self, new: NewList) -> HashList:
        name = new.name.strip()
        if not name:
            raise InvalidValue("a list needs a name")
        thresholds = validate_thresholds(
            default_thresholds() if new.thresholds is None else new.thresholds
        )
        now = utcnow()
        with self._writing() as connection:
            try:
                list_id = connection.execute(
                    schema.lists.insert()
                    .values(
                        name=name,
                        description=new.description,
                        action=ListAction(new.action).value,
                        thresholds=thresholds,
                        matching_mode=MatchingMode(new.matching_mode).value,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(schema.lists.c.id)
                ).scalar_one()
            except IntegrityError:
                raise ListNameTaken.named(name) from None
            self._log_change(connection, ChangeKind.LIST, list_id=list_id)
        return self.get_list(name)

    def get_list(self, name: str) -> HashList:
        check_text("list", name)  # no stored name holds one (and PostgreSQL cannot take a NUL)
        with self._reading() as connection:
            row = connection.execute(
                sa.select(schema.lists).where(schema.lists.c.name == name)
            ).first()
        if row is None:
            raise ListNotFound.named(name)
        return list_from_row(row)

    def ensure_list(self, name: str) -> HashList:
        with self.transaction():
            try:
                return self.get_list(name)
            except ListNotFound:
                return self.create_list(NewList(name=check_list_name(name, "list")))

    def lists(self) -> list[HashList]:
        with self._reading() as connection:
            rows = connection.execute(sa.select(schema.lists).order_by(schema.lists.c.name))
            return [list_from_row(row) for row in rows]

    def update_list(
        self,
        name: str,
        *,
        description: str | None = None,
        action: ListAction | None = None,
        thresholds: dict[str, int] | None = None,
        matching_mode: MatchingMode | None = None,
    ) -> HashList:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if description is not None:
            values["description"] = description
        if action is not None:
            values["action"] = ListAction(action).value
        if thresholds is not None:
            values["thresholds"] = validate_thresholds(thresholds)
        if matching_mode is not None:
            values["matching_mode"] = MatchingMode(matching_mode).value
        with self._writing() as connection:
            current = self.get_list(name)
            connection.execute(
                schema.lists.update().where(schema.lists.c.id == current.id).values(**values)
            )
            self._log_change(connection, ChangeKind.LIST, list_id=current.id)
        return self.get_list(name)
