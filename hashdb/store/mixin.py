"""What the SQL mixins of the analyst features need from :class:`~hashdb.store.sql.SQLStore`.

Each mixin module owns the SQL of its own tables; ``SQLStore`` inherits them all, so one
store object (one engine, one transaction context) serves every protocol.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from hashdb.store.models import ChangeKind


class SQLMixin:
    if TYPE_CHECKING:
        engine: sa.Engine

        def transaction(self) -> AbstractContextManager[None]: ...
        def _reading(self) -> AbstractContextManager[sa.Connection]: ...
        def _writing(self) -> AbstractContextManager[sa.Connection]: ...
        def _log_change(
            self,
            connection: sa.Connection,
            kind: ChangeKind,
            *,
            entry_id: int | None = None,
            list_id: int | None = None,
        ) -> None: ...
