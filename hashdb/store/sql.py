"""The SQL store: one implementation of :class:`~hashdb.store.base.Store` for every
SQLAlchemy dialect hashdb supports (SQLite and PostgreSQL).

Transactions are explicit. Writes run inside :meth:`SQLStore.transaction`, which serialises
writers (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL transaction-scoped advisory lock) so that
the change sequence is committed in order: a reader that has seen change ``n`` has seen every
change before it. Nothing commits behind the caller's back: calls made inside an open
``transaction()`` join it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from hashdb.errors import (
    Conflict,
    EntryNotFound,
    InvalidValue,
    ListNotFound,
    StoreUnavailable,
)
from hashdb.store import bulk, exchange, schema, watch
from hashdb.store.catalog import CatalogSQL
from hashdb.store.features import FeatureSQL
from hashdb.store.feedback import FeedbackSQL
from hashdb.store.keys import KeySQL
from hashdb.store.labels import LabelSQL
from hashdb.store.migrations import migrate
from hashdb.store.models import (
    AddOutcome,
    AuditRecord,
    Change,
    ChangeKind,
    Entry,
    HashList,
    ListAction,
    LiveHashes,
    NewEntry,
    NewList,
    default_thresholds,
    validate_thresholds,
)
from hashdb.store.review_queue import ReviewSQL
from hashdb.store.rows import IN_CHUNK, aware, entry_from_row, list_from_row, utcnow
from hashdb.store.scans import ScanSQL
from hashdb.store.sharing import SharingSQL
from hashdb.store.video import VideoSQL

_WRITE_LOCK_KEY = 7244532


class SQLStore(
    KeySQL,
    CatalogSQL,
    SharingSQL,
    LabelSQL,
    ReviewSQL,
    FeedbackSQL,
    VideoSQL,
    ScanSQL,
    FeatureSQL,
):
    def __init__(self, engine: sa.Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._commit_listeners: list[Callable[[int], None]] = []
        self._connection: ContextVar[sa.Connection | None] = ContextVar(
            f"hashdb_connection_{id(self)}", default=None
        )
        try:
            migrate(engine)
        except (OperationalError, DBAPIError) as exc:
            engine.dispose()
            raise StoreUnavailable(
                f"cannot open the database {self.safe_url}: {exc.orig}"
            ) from None
        except BaseException:
            engine.dispose()
            raise

    @property
    def safe_url(self) -> str:
        return (
            sa.engine.make_url(self.url).render_as_string(hide_password=True)
            if "://" in self.url
            else self.url
        )

    # --- connections and transactions ---------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: commits on success, rolls back on any exception."""
        if self._connection.get() is not None:
            yield
            return
        try:
            with self.engine.connect() as connection:
                connection = connection.execution_options(hashdb_write=True)
                with connection.begin():
                    if self.engine.dialect.name == "postgresql":
                        connection.execute(
                            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK_KEY}
                        )
                    token = self._connection.set(connection)
                    try:
                        yield
                    finally:
                        self._connection.reset(token)
                    seq = self._seal(connection)
            for listener in self._commit_listeners:
                listener(seq)
        except OperationalError as exc:
            raise StoreUnavailable(f"database error: {exc.orig}") from None

    def _seal(self, connection: sa.Connection) -> int:
        """The newest change sequence as this transaction commits it; on PostgreSQL, also
        tell every listening process to look (the notification is sent on commit)."""
        seq = connection.execute(sa.select(sa.func.max(schema.changes.c.seq))).scalar() or 0
        if self.engine.dialect.name == "postgresql":
            connection.execute(sa.text(f"NOTIFY {watch.CHANNEL}"))
        return int(seq)

    def on_commit(self, listener: Callable[[int], None]) -> None:
        """Call ``listener`` with the newest change sequence after each write commits."""
        self._commit_listeners.append(listener)

    def watch(self, interval: float) -> watch.ChangeWatcher:
        """A background watcher of this store's change sequence (see :mod:`.watch`)."""
        return watch.ChangeWatcher(self, interval)

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        current = self._connection.get()
        if current is not None:
            yield current
            return
        try:
            with self.engine.connect() as connection:
                yield connection
        except OperationalError as exc:
            raise StoreUnavailable(f"database error: {exc.orig}") from None

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        with self.transaction():
            connection = self._connection.get()
            assert connection is not None
            yield connection

    def ping(self) -> None:
        with self._reading() as connection:
            connection.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()

    def _insert(self, table: sa.Table) -> Any:
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # --- lists --------------------------------------------------------------------------

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
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(schema.lists.c.id)
                ).scalar_one()
            except IntegrityError:
                raise Conflict(f"a list named {name!r} already exists", list=name) from None
            self._log_change(connection, ChangeKind.LIST, list_id=list_id)
        return self.get_list(name)

    def get_list(self, name: str) -> HashList:
        with self._reading() as connection:
            row = connection.execute(
                sa.select(schema.lists).where(schema.lists.c.name == name)
            ).first()
        if row is None:
            raise ListNotFound(f"no list named {name!r}", list=name)
        return list_from_row(row)

    def ensure_list(self, name: str) -> HashList:
        with self.transaction():
            try:
                return self.get_list(name)
            except ListNotFound:
                return self.create_list(NewList(name=name))

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
    ) -> HashList:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if description is not None:
            values["description"] = description
        if action is not None:
            values["action"] = ListAction(action).value
        if thresholds is not None:
            values["thresholds"] = validate_thresholds(thresholds)
        with self._writing() as connection:
            current = self.get_list(name)
            connection.execute(
                schema.lists.update().where(schema.lists.c.id == current.id).values(**values)
            )
            self._log_change(connection, ChangeKind.LIST, list_id=current.id)
        return self.get_list(name)

    # --- entries ------------------------------------------------------------------------

    def add_entries(self, list_id: int, entries: Sequence[NewEntry]) -> list[AddOutcome]:
        """Add entries to a list; a hash already live in the list is reported, not repeated."""
        entries_table = schema.entries
        now = utcnow()
        outcomes: list[AddOutcome | None] = [None] * len(entries)
        with self._writing() as connection:
            existing = self._live_ids(connection, list_id, entries)
            pending: dict[tuple[str, bytes], list[int]] = {}
            for position, new in enumerate(entries):
                key = (new.algorithm, new.value)
                if key in existing:
                    outcomes[position] = AddOutcome(existing[key], created=False)
                else:
                    pending.setdefault(key, []).append(position)
            if pending:
                rows = [
                    {
                        "list_id": list_id,
                        "algorithm": entries[positions[0]].algorithm,
                        "hash": entries[positions[0]].value,
                        "quality": entries[positions[0]].quality,
                        "source_sha256": entries[positions[0]].source_sha256,
                        "label": entries[positions[0]].label,
                        "note": entries[positions[0]].note,
                        "added_by": entries[positions[0]].added_by,
                        "organisation": entries[positions[0]].organisation,
                        "source": entries[positions[0]].source,
                        "added_at": now,
                    }
                    for positions in pending.values()
                ]
                result = connection.execute(
                    entries_table.insert().returning(
                        entries_table.c.id, sort_by_parameter_order=True
                    ),
                    rows,
                )
                new_ids = [row.id for row in result]
                for positions, entry_id in zip(pending.values(), new_ids, strict=True):
                    outcomes[positions[0]] = AddOutcome(entry_id, created=True)
                    for duplicate in positions[1:]:
                        outcomes[duplicate] = AddOutcome(entry_id, created=False)
                self._insert_entry_labels(
                    connection,
                    [
                        (entry_id, entries[positions[0]].labels)
                        for positions, entry_id in zip(pending.values(), new_ids, strict=True)
                    ],
                )
                connection.execute(
                    schema.changes.insert(),
                    [
                        {
                            "kind": ChangeKind.ADD.value,
                            "entry_id": entry_id,
                            "list_id": list_id,
                            "at": now,
                        }
                        for entry_id in new_ids
                    ],
                )
        return [outcome for outcome in outcomes if outcome is not None]

    def _live_ids(
        self, connection: sa.Connection, list_id: int, entries: Sequence[NewEntry]
    ) -> dict[tuple[str, bytes], int]:
        by_algorithm: dict[str, list[bytes]] = {}
        for new in entries:
            by_algorithm.setdefault(new.algorithm, []).append(new.value)
        found: dict[tuple[str, bytes], int] = {}
        table = schema.entries
        for algorithm, values in by_algorithm.items():
            unique_values = list(dict.fromkeys(values))
            for start in range(0, len(unique_values), IN_CHUNK):
                chunk = unique_values[start : start + IN_CHUNK]
                rows = connection.execute(
                    sa.select(table.c.id, table.c.hash).where(
                        table.c.list_id == list_id,
                        table.c.algorithm == algorithm,
                        table.c.retired_at.is_(None),
                        table.c.hash.in_(chunk),
                    )
                )
                for row in rows:
                    found[(algorithm, bytes(row.hash))] = row.id
        return found

    def _entry_query(self) -> sa.Select[Any]:
        return sa.select(schema.entries, schema.lists.c.name.label("list_name")).join(
            schema.lists, schema.lists.c.id == schema.entries.c.list_id
        )

    def get_entry(self, entry_id: int) -> Entry:
        found = self.get_entries([entry_id])
        if entry_id not in found:
            raise EntryNotFound(f"no entry with id {entry_id}", entry_id=entry_id)
        return found[entry_id]

    def get_entries(self, entry_ids: Sequence[int]) -> dict[int, Entry]:
        found: dict[int, Entry] = {}
        ids = list(dict.fromkeys(int(entry_id) for entry_id in entry_ids))
        with self._reading() as connection:
            for start in range(0, len(ids), IN_CHUNK):
                rows = connection.execute(
                    self._entry_query().where(
                        schema.entries.c.id.in_(ids[start : start + IN_CHUNK])
                    )
                ).all()
                labels = self._entry_labels(connection, [row.id for row in rows])
                for row in rows:
                    found[row.id] = entry_from_row(row, labels.get(row.id, ()))
        return found

    def retire_entry(self, entry_id: int, reason: str, retired_by: str | None) -> Entry:
        if not reason.strip():
            raise InvalidValue("retiring an entry needs a reason")
        now = utcnow()
        with self._writing() as connection:
            entry = self.get_entry(entry_id)
            if not entry.live:
                retired_at = entry.retired_at.isoformat() if entry.retired_at else "?"
                raise Conflict(
                    f"entry {entry_id} was already retired at {retired_at}",
                    entry_id=entry_id,
                )
            connection.execute(
                schema.entries.update()
                .where(schema.entries.c.id == entry_id)
                .values(retired_at=now, retired_reason=reason.strip(), retired_by=retired_by)
            )
            self._log_change(
                connection, ChangeKind.RETIRE, entry_id=entry_id, list_id=entry.list_id
            )
        return self.get_entry(entry_id)

    def count_entries(self, list_id: int | None = None, *, live_only: bool = True) -> int:
        query = sa.select(sa.func.count()).select_from(schema.entries)
        if list_id is not None:
            query = query.where(schema.entries.c.list_id == list_id)
        if live_only:
            query = query.where(schema.entries.c.retired_at.is_(None))
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    # --- audit log ----------------------------------------------------------------------

    def record_audit(
        self,
        actor: str | None,
        action: str,
        target_type: str,
        target_id: str | None,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
    ) -> None:
        with self._writing() as connection:
            connection.execute(
                schema.audit_log.insert().values(
                    at=utcnow(),
                    actor=actor,
                    action=action,
                    target_type=target_type,
                    target_id=target_id,
                    before=before,
                    after=after,
                )
            )

    def audit_records(
        self,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AuditRecord]:
        table = schema.audit_log
        query = sa.select(table).order_by(table.c.id).limit(limit)
        if target_type is not None:
            query = query.where(table.c.target_type == target_type)
        if target_id is not None:
            query = query.where(table.c.target_id == target_id)
        if since is not None:
            query = query.where(table.c.at >= since)
        with self._reading() as connection:
            return [
                AuditRecord(
                    id=row.id,
                    at=aware(row.at),
                    actor=row.actor,
                    action=row.action,
                    target_type=row.target_type,
                    target_id=row.target_id,
                    before=row.before,
                    after=row.after,
                )
                for row in connection.execute(query)
            ]

    # --- change feed --------------------------------------------------------------------

    def _log_change(
        self,
        connection: sa.Connection,
        kind: ChangeKind,
        *,
        entry_id: int | None = None,
        list_id: int | None = None,
    ) -> None:
        connection.execute(
            schema.changes.insert().values(
                kind=kind.value, entry_id=entry_id, list_id=list_id, at=utcnow()
            )
        )

    def current_seq(self) -> int:
        with self._reading() as connection:
            return int(
                connection.execute(sa.select(sa.func.max(schema.changes.c.seq))).scalar() or 0
            )

    def changes_since(self, seq: int, limit: int = 10_000) -> list[Change]:
        changes, entries = schema.changes, schema.entries
        query = (
            sa.select(
                changes.c.seq,
                changes.c.kind,
                changes.c.entry_id,
                entries.c.algorithm,
                entries.c.hash,
            )
            .select_from(changes.outerjoin(entries, entries.c.id == changes.c.entry_id))
            .where(changes.c.seq > seq)
            .order_by(changes.c.seq)
            .limit(limit)
        )
        with self._reading() as connection:
            return [
                Change(
                    seq=row.seq,
                    kind=ChangeKind(row.kind),
                    entry_id=row.entry_id,
                    algorithm=row.algorithm,
                    value=bytes(row.hash) if row.hash is not None else None,
                )
                for row in connection.execute(query)
            ]

    def live_hash_arrays(self, algorithm: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        try:
            yield from bulk.live_hash_arrays(self.engine, algorithm)
        except OperationalError as exc:
            raise StoreUnavailable(f"database error: {exc.orig}") from None

    def import_entries(
        self, list_id: int, rows: Sequence[exchange.ImportRow]
    ) -> exchange.ImportCounts:
        with self._writing() as connection:
            return exchange.import_rows(connection, list_id, rows, utcnow())

    def export_entries(
        self, list_ids: Sequence[int] | None, since: datetime | None, *, live_only: bool = False
    ) -> Iterator[Entry]:
        with self._reading() as connection:
            yield from exchange.export_entries(connection, list_ids, since, live_only=live_only)

    def iter_live_hashes(self, algorithm: str, batch_size: int = 100_000) -> Iterator[LiveHashes]:
        table = schema.entries
        query = (
            sa.select(table.c.id, table.c.hash)
            .where(table.c.algorithm == algorithm, table.c.retired_at.is_(None))
            .order_by(table.c.id)
        )
        with self._reading() as connection:
            result = connection.execution_options(yield_per=batch_size).execute(query)
            for rows in result.partitions(batch_size):
                yield LiveHashes(
                    algorithm,
                    [row[0] for row in rows],
                    [bytes(row[1]) for row in rows],
                )
