"""PostgreSQL planner statistics kept fresh by hashdb itself, whatever autovacuum does.

Without statistics PostgreSQL guesses: ``algorithm = $2 AND retired_at IS NULL`` is
estimated at one row, so an add's look-up of the hashes already live (``hash IN (...)``)
reads every live entry of the algorithm through ``entries_algorithm_live`` instead of probing
``entries_live_unique``, and the generic plan psycopg prepares after a few adds keeps doing so:
0.5-1 s per 500 hashes at 100,000 entries, growing with the list. autovacuum analyses a table
once the rows changed since its last ``ANALYZE`` exceed ``autovacuum_analyze_threshold +
autovacuum_analyze_scale_factor * rows``, but it may be off, and when on it looks only every
``autovacuum_naptime``. Rewriting the query does not help: with one array parameter or a
``LATERAL`` probe per hash the planner still takes the same index without statistics.

So when the store opens and after each write commits, a background thread of the store
applies autovacuum's rule (the server's settings) to hashdb's tables and analyses those past
it. No write fails because of it, and only a process's first add waits for it (for the check
opening the store started, :meth:`StatisticsKeeper.wait_for_first_check`):

* the check is one query on the statistics views, at most once a :data:`CHECK_INTERVAL`
  while writes go on, and an ``ANALYZE`` (about 0.1 s for the tables an add grows at 100,000
  entries: it reads a sample) follows only when a table grew by a tenth or so;
* only tables the role may analyse (their owner's or the database owner's privileges) are
  counted, so a role that writes but owns nothing never tries;
* writers in other processes are not waited for: the analysing transaction takes a
  per-schema advisory lock with ``pg_try_advisory_xact_lock`` and leaves the work to whoever
  holds it, and waits at most :data:`LOCK_TIMEOUT` for a table lock (a running VACUUM);
* an error is logged (a warning, then at debug level until a check succeeds) and the next
  write checks again.

Each backend publishes its row counters when a transaction ends, but at most once a second,
or 10 s after it went idle (PostgreSQL 15): the check that follows a write may not see it, so
one more check runs :data:`RECHECK_AFTER` seconds after the last one that writes asked for.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Sequence

import sqlalchemy as sa

log = logging.getLogger(__name__)

#: Seconds between two checks while writes go on.
CHECK_INTERVAL = 1.0
#: A last check this many seconds after the last write: an idle backend publishes its
#: counters within 10 s, so the check that followed the write may not have seen them.
RECHECK_AFTER = 11.0
#: How long an ``ANALYZE`` waits for a table lock held by someone else before giving up.
LOCK_TIMEOUT = "1s"
#: First key of the advisory lock analysing takes (the second is the schema's hash).
_ANALYZE_LOCK_KEY = 7244533

#: hashdb's tables whose changes since the last ``ANALYZE`` exceed autovacuum's rule, among
#: those this role may analyse. A table never analysed counts as empty (``reltuples`` -1),
#: as autovacuum counts it.
_STALE_TABLES = sa.text(
    """
    SELECT c.relname
    FROM unnest(CAST(:tables AS text[])) AS wanted(name)
    JOIN pg_class c ON c.oid = to_regclass(quote_ident(wanted.name))
    JOIN pg_database d ON d.datname = current_database()
    WHERE pg_stat_get_mod_since_analyze(c.oid)
          > current_setting('autovacuum_analyze_threshold')::float8
            + current_setting('autovacuum_analyze_scale_factor')::float8
              * greatest(c.reltuples, 0)
      AND (pg_has_role(c.relowner, 'USAGE') OR pg_has_role(d.datdba, 'USAGE'))
    ORDER BY c.relname
    """
)

#: Every keeper of this process, so that a forked child starts its own thread.
_KEEPERS: weakref.WeakSet[StatisticsKeeper] = weakref.WeakSet()


def stale_tables(connection: sa.Connection, tables: Sequence[str]) -> list[str]:
    """Which of ``tables`` autovacuum would analyse now, were it on."""
    return list(connection.execute(_STALE_TABLES, {"tables": list(tables)}).scalars())


def analyze_stale(engine: sa.Engine, tables: Sequence[str]) -> list[str]:
    """Analyse those of ``tables`` that need it; the tables analysed. Nothing is analysed
    while another connection analyses this schema's tables the same way."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")  # until it goes back
        if not stale_tables(connection, tables):
            return []  # the usual answer: one statement
    with engine.connect() as connection, connection.begin():
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        locked = connection.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))"),
            {"key": _ANALYZE_LOCK_KEY},
        ).scalar_one()
        if not locked:
            return []
        stale = stale_tables(connection, tables)  # another may have just analysed them
        if stale:
            quote = connection.dialect.identifier_preparer.quote
            connection.exec_driver_sql(f"ANALYZE {', '.join(quote(name) for name in stale)}")
        return stale


class StatisticsKeeper:
    """Analyses ``tables`` in a background thread after writes, as :func:`analyze_stale`
    decides. :meth:`check_soon` is all a write does; :meth:`settle` runs a pending check now."""

    def __init__(self, engine: sa.Engine, tables: Sequence[str]) -> None:
        self._engine = engine
        self._tables = tuple(tables)
        self._reset()
        _KEEPERS.add(self)

    def _reset(self) -> None:
        self._condition = threading.Condition()
        self._pending = False  # a write committed since the last check began
        self._settling = False
        self._thread: threading.Thread | None = None
        self._checked_at = -math.inf
        self._recheck_at = math.inf  # once, RECHECK_AFTER the last check that writes asked
        self._failed = False
        self._first_done = threading.Event()  # the first check (opening the store asks it) ran

    def check_soon(self) -> None:
        """Check in the background (a write committed, or the store opened). Never waits,
        never raises."""
        try:
            with self._condition:
                self._pending = True
                if self._thread is None:
                    thread = threading.Thread(
                        target=self._run, name="hashdb-statistics", daemon=True
                    )
                    thread.start()  # it waits for the condition, so for the line below
                    self._thread = thread
                self._condition.notify()
        except Exception as exc:  # no thread today: the next write tries again
            log.warning("cannot start the planner statistics check: %s", exc)

    def wait_for_first_check(self, timeout: float = 5.0) -> None:
        """Wait until the check started when the store opened has run (``timeout`` seconds
        at most; at once when none is under way). A write's look-ups are then planned with
        the statistics a database that needed them has just got."""
        with self._condition:
            running = self._thread is not None
        if running:
            self._first_done.wait(timeout)

    def settle(self, timeout: float = 10.0) -> None:
        """Run a pending check now, wait for it (``timeout`` seconds at most) and stop the
        thread; the next write starts it again (a store is closed before a fork and used
        after it)."""
        with self._condition:
            thread, self._thread = self._thread, None
            self._settling = True
            self._condition.notify_all()
        if thread is not None:
            thread.join(timeout)
        with self._condition:
            self._settling = False

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._condition:
                cause = self._wait_for_check(me)
                if cause is None:
                    return
                self._pending = False
                self._checked_at = time.monotonic()
                after_writes = cause == "writes"
                self._recheck_at = self._checked_at + RECHECK_AFTER if after_writes else math.inf
            self._check()

    def _wait_for_check(self, me: threading.Thread) -> str | None:
        """Wait, holding the condition, until a check is due: ``"writes"``, ``"recheck"``,
        or None when this thread is to stop."""
        while True:
            if self._thread is not me:  # settle() took this thread's place
                return "writes" if self._pending and self._settling else None
            now = time.monotonic()
            if self._pending:
                wait = self._checked_at + CHECK_INTERVAL - now
                if wait <= 0:
                    return "writes"
            else:
                wait = self._recheck_at - now
                if wait <= 0:
                    return "recheck"
            self._condition.wait(None if math.isinf(wait) else wait)

    def _check(self) -> None:
        try:
            self._analyze()
        finally:
            self._first_done.set()

    def _analyze(self) -> None:
        try:
            started = time.perf_counter()
            analysed = analyze_stale(self._engine, self._tables)
        except Exception as exc:  # the write is committed; the next one checks again
            level = logging.DEBUG if self._failed else logging.WARNING
            log.log(level, "refreshing the planner statistics failed: %s", exc)
            self._failed = True
            return
        self._failed = False
        if analysed:
            log.info(
                "analysed %s in %.0f ms",
                ", ".join(analysed),
                (time.perf_counter() - started) * 1000,
            )


def _after_fork_in_child() -> None:
    for keeper in list(_KEEPERS):
        keeper._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
