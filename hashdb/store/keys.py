"""API keys in the SQL store: records and a mixin for :class:`~hashdb.store.sql.SQLStore`.

Only a key's prefix and its SHA-256 are stored; the key itself exists once, in the answer to
whoever created it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from hashdb.errors import Conflict, KeyNotFound
from hashdb.identity import Role
from hashdb.store import schema
from hashdb.store.models import ApiKey, ChangeKind, NewApiKey
from hashdb.store.rows import aware


class _Connections(Protocol):
    def _reading(self) -> AbstractContextManager[sa.Connection]: ...
    def _writing(self) -> AbstractContextManager[sa.Connection]: ...
    def _log_change(self, connection: sa.Connection, kind: ChangeKind) -> None: ...


def _key_from_row(row: sa.Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        organisation=row.organisation,
        prefix=row.prefix,
        key_hash=row.key_hash,
        created_at=aware(row.created_at),
        created_by=row.created_by,
        revoked_at=aware(row.revoked_at),
        revoked_by=row.revoked_by,
    )


class KeySQL:
    """The :class:`~hashdb.store.base.KeyStore` half of the SQL store."""

    def create_key(self: _Connections, new: NewApiKey) -> ApiKey:
        table = schema.api_keys
        with self._writing() as connection:
            key_id = connection.execute(
                table.insert()
                .values(
                    name=new.name,
                    role=Role(new.role).value,
                    organisation=new.organisation,
                    prefix=new.prefix,
                    key_hash=new.key_hash,
                    created_at=datetime.now(UTC),
                    created_by=new.created_by,
                )
                .returning(table.c.id)
            ).scalar_one()
            row = connection.execute(sa.select(table).where(table.c.id == key_id)).one()
        return _key_from_row(row)

    def key_by_prefix(self: _Connections, prefix: str) -> ApiKey | None:
        table = schema.api_keys
        with self._reading() as connection:
            row = connection.execute(sa.select(table).where(table.c.prefix == prefix)).first()
        return None if row is None else _key_from_row(row)

    def get_key(self: _Connections, key_id: int) -> ApiKey:
        table = schema.api_keys
        with self._reading() as connection:
            row = connection.execute(sa.select(table).where(table.c.id == key_id)).first()
        if row is None:
            raise KeyNotFound(f"no API key with id {key_id}", key_id=key_id)
        return _key_from_row(row)

    def list_keys(self: _Connections, *, include_revoked: bool = True) -> list[ApiKey]:
        table = schema.api_keys
        query = sa.select(table).order_by(table.c.id)
        if not include_revoked:
            query = query.where(table.c.revoked_at.is_(None))
        with self._reading() as connection:
            return [_key_from_row(row) for row in connection.execute(query)]

    def revoke_key(self: _Connections, key_id: int, revoked_by: str | None) -> ApiKey:
        table = schema.api_keys
        with self._writing() as connection:
            row = connection.execute(sa.select(table).where(table.c.id == key_id)).first()
            if row is None:
                raise KeyNotFound(f"no API key with id {key_id}", key_id=key_id)
            if row.revoked_at is not None:
                raise Conflict(f"API key {key_id} is already revoked", key_id=key_id)
            connection.execute(
                table.update()
                .where(table.c.id == key_id)
                .values(revoked_at=datetime.now(UTC), revoked_by=revoked_by)
            )
            # On the change feed, so that every process learns of it (docs/security.md).
            self._log_change(connection, ChangeKind.KEY)
            row = connection.execute(sa.select(table).where(table.c.id == key_id)).one()
        return _key_from_row(row)
