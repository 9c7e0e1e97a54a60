"""Knowing that something changed without asking the database on every request.

A :class:`ChangeWatcher` holds the newest change sequence of a store, kept current by a
background thread: on PostgreSQL it listens for the notification every write transaction
sends on commit (``NOTIFY hashdb_changes``), on SQLite it reads the newest sequence every
``interval`` seconds (one indexed row). Writes made by this process are known at once, through
the store's commit hook. The in-memory views of the store (indexes, reference rows, video
frames) then query the change feed only when the sequence has moved.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from hashdb.store.sql import SQLStore

log = logging.getLogger(__name__)

#: The notification channel write transactions signal on (database-wide: a notification only
#: says "look again"; the watcher reads the sequence itself).
CHANNEL = "hashdb_changes"

#: Every watcher of this process, so that a forked child can start its own thread.
_WATCHERS: weakref.WeakSet[ChangeWatcher] = weakref.WeakSet()


class ChangeWatcher:
    def __init__(self, store: SQLStore, interval: float) -> None:
        self._store = store
        self._interval = max(interval, 0.01)
        self._latest = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        store.on_commit(self.saw)
        _WATCHERS.add(self)

    @property
    def latest(self) -> int:
        """The newest change sequence known to exist (starts the watcher on first use)."""
        if self._thread is None:
            self.start()
        return self._latest

    def saw(self, seq: int) -> None:
        """A change sequence seen committed (by this process, or read from the store)."""
        with self._lock:
            self._latest = max(self._latest, seq)

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._latest = max(self._latest, self._store.current_seq())
            listen = self._store.engine.dialect.name == "postgresql"
            self._thread = threading.Thread(
                target=self._listen if listen else self._poll, name="hashdb-changes", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _forked(self) -> None:
        """In a forked child: the parent's thread is not there (and the parent may have
        stopped it before forking), so the next use starts this process's own."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def _read(self) -> None:
        try:
            self.saw(self._store.current_seq())
        except Exception as exc:  # the database went away: followers ask again later
            log.warning("cannot read the change sequence: %s", exc)

    def _poll(self) -> None:
        while not self._stop.wait(self._interval):
            self._read()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with self._store.engine.connect() as connection:
                    driver: Any = connection.connection.driver_connection
                    driver.autocommit = True
                    driver.execute(f"LISTEN {CHANNEL}")
                    self._read()  # anything committed before LISTEN took effect
                    while not self._stop.is_set():
                        # Wake on a notification, or after the interval to read anyway: a
                        # notification lost with a dropped connection costs one interval.
                        for _ in driver.notifies(timeout=self._interval, stop_after=1):
                            pass
                        self._read()
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                log.warning("listening for changes failed, retrying: %s", exc)
                self._stop.wait(self._interval)
            except Exception as exc:  # psycopg errors when the engine is disposed
                if self._stop.is_set():
                    return
                log.warning("listening for changes failed, retrying: %s", exc)
                self._stop.wait(self._interval)


def _after_fork_in_child() -> None:
    for watcher in list(_WATCHERS):
        watcher._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)
