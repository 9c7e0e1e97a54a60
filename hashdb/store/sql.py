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
from sqlalchemy.exc import DBAPIError, OperationalError

from hashdb.errors import (
    Conflict,
    EntryNotFound,
    InvalidValue,
    StoreUnavailable,
)
from hashdb.store import adding, bulk, exchange, plain_import, schema, watch
from hashdb.store.audit import AuditSQL
from hashdb.store.catalog import CatalogSQL
from hashdb.store.features import FeatureSQL
from hashdb.store.feedback import FeedbackSQL
from hashdb.store.guard import check_store_access
from hashdb.store.items import ItemSQL, retire_if_spent
from hashdb.store.keys import KeySQL
from hashdb.store.labels import LabelSQL
from hashdb.store.lists import ListSQL
from hashdb.store.migrations import migrate
from hashdb.store.models import (
    AddOutcome,
    Change,
    ChangeKind,
    Entry,
    LiveHashes,
    NewEntry,
)
from hashdb.store.review_queue import ReviewSQL
from hashdb.store.rows import entries_from_rows, in_chunks, utcnow
from hashdb.store.scans import ScanSQL
from hashdb.store.sharing import SharingSQL
from hashdb.store.thumbnails import ThumbnailSQL
from hashdb.store.video import VideoSQL

_WRITE_LOCK_KEY = 7244532
#: The tables a bulk import grows, whose planner statistics it refreshes.
_BULK_TABLES = ("entries", "items", "changes", "entry_labels", "video_frames")


#: Entries with their list's name and their labels (one row per label, ``entry_label`` None
#: for an entry without any), built once: a lookup reads entries this way on every request
#: whose entry is not cached.
ENTRIES_WITH_LABELS = (
    sa.select(
        schema.entries,
        schema.lists.c.name.label("list_name"),
        schema.entry_labels.c.label.label("entry_label"),
    )
    .join(schema.lists, schema.lists.c.id == schema.entries.c.list_id)
    .outerjoin(schema.entry_labels, schema.entry_labels.c.entry_id == schema.entries.c.id)
    .where(schema.entries.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(schema.entries.c.id, schema.entry_labels.c.label)
)


class SQLStore(
    ListSQL,
    AuditSQL,
    KeySQL,
    CatalogSQL,
    SharingSQL,
    LabelSQL,
    ReviewSQL,
    FeedbackSQL,
    VideoSQL,
    ScanSQL,
    FeatureSQL,
    ItemSQL,
    ThumbnailSQL,
):
    def __init__(self, engine: sa.Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._commit_listeners: list[Callable[[int], None]] = []
        self._connection: ContextVar[sa.Connection | None] = ContextVar(
            f"hashdb_connection_{id(self)}", default=None
        )
        #: Audit rows of the open write transaction, written together when it commits.
        self._audit_rows: ContextVar[list[dict[str, Any]] | None] = ContextVar(
            f"hashdb_audit_rows_{id(self)}", default=None
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
        check_store_access()
        try:
            with self.engine.connect() as connection:
                connection = connection.execution_options(hashdb_write=True)
                with connection.begin():
                    if self.engine.dialect.name == "postgresql":
                        connection.execute(
                            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK_KEY}
                        )
                    token = self._connection.set(connection)
                    audit_token = self._audit_rows.set([])
                    try:
                        yield
                        self._write_audit_rows(connection)
                    finally:
                        self._audit_rows.reset(audit_token)
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
    def _reading_statements(self) -> Iterator[sa.Connection]:
        """Like :meth:`_reading`, for reads whose statements each stand alone: outside a
        write transaction they run in autocommit on PostgreSQL, which spares the ROLLBACK
        round trip when the connection goes back to the pool. Each statement sees what was
        committed when it started, as it would inside a READ COMMITTED transaction."""
        with self._reading() as connection:
            if self._connection.get() is None and self.engine.dialect.name == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        current = self._connection.get()
        if current is not None:
            self._write_audit_rows(current)  # a read inside the transaction sees them
            yield current
            return
        check_store_access()
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

    # --- entries ------------------------------------------------------------------------

    def add_entries(
        self,
        list_id: int,
        entries: Sequence[NewEntry],
        *,
        media: bool = False,
        item_id: int | None = None,
    ) -> list[AddOutcome]:
        """Add entries to a list; a hash already live in the list is reported, not repeated."""
        self._before_adding()
        with self._writing() as connection:
            return adding.add_entries(
                connection, list_id, entries, utcnow(), media=media, item_id=item_id
            )

    def _before_adding(self) -> None:
        """Run before an add looks up the hashes already live (nothing here; PostgreSQL
        waits for its first planner statistics check)."""

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
        """Entries by id, each with its labels, read with one statement per chunk of ids (an
        unknown id is left out). Explaining a match reads its entry this way on each request
        whose entry is not cached: one round trip, not two."""
        found: dict[int, Entry] = {}
        for ids in in_chunks(int(entry_id) for entry_id in entry_ids):
            found.update(entries_from_rows(self._entry_rows(ids)))
        return found

    def _entry_rows(self, ids: list[int]) -> Sequence[Any]:
        """The rows of :data:`ENTRIES_WITH_LABELS` for ``ids`` (at most ``IN_CHUNK``)."""
        with self._reading_statements() as connection:
            return connection.execute(ENTRIES_WITH_LABELS, {"ids": ids}).all()

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
            if entry.item_id is not None:
                retire_if_spent(connection, [entry.item_id], now, reason.strip(), retired_by)
        return self.get_entry(entry_id)

    def count_entries(self, list_id: int | None = None, *, live_only: bool = True) -> int:
        query = sa.select(sa.func.count()).select_from(schema.entries)
        if list_id is not None:
            query = query.where(schema.entries.c.list_id == list_id)
        if live_only:
            query = query.where(schema.entries.c.retired_at.is_(None))
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

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
        """The next changes after ``seq``, with the hash of each change's entry.

        Asked on every refresh, so it reads by primary key whatever the planner statistics
        say (a table loaded in bulk may have none yet): the newest sequence number, the
        changes from the ``changes`` key range, then their entries by id. A join of the two
        could be planned as a scan of either table, and its cost estimate without statistics
        is high enough for PostgreSQL to JIT-compile it: milliseconds per request even when
        nothing changed."""
        changes, entries = schema.changes, schema.entries
        with self._reading() as connection:
            latest = connection.execute(sa.select(sa.func.max(changes.c.seq))).scalar()
            if latest is None or latest <= seq:
                return []  # the usual answer, from one probe of the key's end
            # Closed on both sides, the range is estimated small even without statistics
            # (an open one counts as a third of the table), so the key is used.
            rows = connection.execute(
                sa.select(changes.c.seq, changes.c.kind, changes.c.entry_id)
                .where(changes.c.seq > seq, changes.c.seq <= latest)
                .order_by(changes.c.seq)
                .limit(limit)
            ).all()
            hashes: dict[int, tuple[str, bytes]] = {}
            for chunk in in_chunks(row.entry_id for row in rows if row.entry_id is not None):
                found = connection.execute(
                    sa.select(entries.c.id, entries.c.algorithm, entries.c.hash).where(
                        entries.c.id.in_(chunk)
                    )
                )
                hashes.update((row.id, (row.algorithm, bytes(row.hash))) for row in found)
        changed = []
        for row in rows:
            algorithm, value = hashes.get(row.entry_id, (None, None))
            changed.append(
                Change(
                    seq=row.seq,
                    kind=ChangeKind(row.kind),
                    entry_id=row.entry_id,
                    algorithm=algorithm,
                    value=value,
                )
            )
        return changed

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

    def import_plain(self, list_id: int, rows: plain_import.PlainRows) -> exchange.ImportCounts:
        with self._writing() as connection:
            return plain_import.import_plain(connection, list_id, rows, utcnow())

    def analyze(self) -> None:
        """Refresh the planner statistics of the tables a bulk load grows."""
        with self._writing() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"ANALYZE {', '.join(_BULK_TABLES)}")
                return
            # A sample is enough to size the tables, and keeps this cheap at millions of rows.
            connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
            for table in _BULK_TABLES:
                connection.exec_driver_sql(f"ANALYZE {table}")

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
