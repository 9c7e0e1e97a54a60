"""In-memory views of the store that follow its change feed (the plain indexes, the robust
reference rows, the video frames): one way to load them and keep them fresh.

With a :class:`~hashdb.store.watch.ChangeWatcher` (a server's default), a view asks the
database for changes only when the watcher has seen the sequence move: a request when
nothing changed costs no query. Without one (``refresh_interval`` 0), every refresh reads the
change feed, so nothing is ever stale (what tests and one-shot commands want)."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

from hashdb.store.base import Store
from hashdb.store.models import Change
from hashdb.store.watch import ChangeWatcher


class ChangeFollower(ABC):
    """Loaded from the store on first use; afterwards brought up to date with the changes
    made since the last look, at most every ``refresh_interval`` seconds (other processes
    write to the same database)."""

    def __init__(
        self, store: Store, refresh_interval: float, watcher: ChangeWatcher | None = None
    ) -> None:
        self._store = store
        self._refresh_interval = refresh_interval
        self._watcher = watcher
        self._seq = 0
        self._loaded = False
        self._checked_at = 0.0
        self._lock = threading.Lock()

    @property
    def seq(self) -> int:
        return self._seq

    @property
    def loaded(self) -> bool:
        return self._loaded

    def refresh(self, *, force: bool = False) -> None:
        if self._loaded and not force and self._current():
            return
        with self._lock:
            if not self._loaded:
                # Read the sequence first: changes racing the load are then replayed, and
                # replaying an add or retire is harmless (adds replace by id, removes ignore
                # unknown ids).
                self._seq = self._store.current_seq()
                self._load()
                self._loaded = True
            while changes := self._store.changes_since(self._seq):
                self._apply(changes)
                self._seq = changes[-1].seq
            self._checked_at = time.monotonic()

    def _current(self) -> bool:
        """Whether this view may skip reading the change feed now."""
        if self._watcher is not None:
            return self._seq >= self._watcher.latest
        return time.monotonic() - self._checked_at < self._refresh_interval

    @abstractmethod
    def _load(self) -> None:
        """Read everything this view holds (called once, under the lock)."""

    @abstractmethod
    def _apply(self, changes: Sequence[Change]) -> None:
        """Apply one batch of changes, in order (under the lock)."""
