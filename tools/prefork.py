"""Several workers forked from one process that has already loaded the app and the indexes.

uvicorn's own ``--workers`` starts each worker as a new interpreter, which imports every
library and loads every index again: two workers cost 2.7 times the memory of one. Here the
parent imports the app, loads the service's indexes, and then forks the workers: the index
arrays and the imported modules are shared copy-on-write, so a worker costs only the pages it
writes to.

After the fork each worker opens its own database connections (the parent closes its pool
first), starts its own change watcher (:mod:`hashdb.store.watch` resets it in a forked child)
and catches up with the changes made since the parent loaded, then keeps following them like
any server. The parent serves nothing: it forwards SIGINT and SIGTERM to the workers, waits
for them, and starts a new worker when one dies. A worker whose parent dies without stopping
it (``kill -9``) is asked to stop as if by SIGTERM: it must not keep the port (and the
database) from the next ``hashdb serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import anyio.to_thread

from hashdb.hashing import parse_hash
from hashdb.identity import LOCAL_OPERATOR
from hashdb.rescan.worker import signal_on_parent_death
from hashdb.service import HashDB
from hashdb.service.core import release_freed_memory

log = logging.getLogger("hashdb.serve")

#: Rounds of the rehearsal before the fork: enough for Python to specialise what they run.
_REHEARSALS = 100
#: The hash the rehearsal looks up: all zero bits, which hashdb refuses to store (a blank
#: picture's), so the lookup matches nothing and reads nothing.
_REHEARSED = ("pdq", "0" * 64)
#: How long the rehearsal's thread may take to stop.
_THREAD_STOP_SECONDS = 5.0
#: How often the parent looks for workers that exited.
_POLL_SECONDS = 0.2
#: A worker that exits sooner than this after it started failed to start (the database is
#: unreachable, say): the next is started after a wait that doubles with each such failure,
#: up to the cap, instead of five times a second for as long as the cause lasts.
_QUICK_EXIT_SECONDS = 10.0
_MAX_RESTART_DELAY_SECONDS = 30.0


def serve_forked(
    factory: str, workers: int, options: dict[str, Any], *, graceful_seconds: float
) -> None:
    """Serve the app from ``factory`` (``module:function``, called with ``service=``) with
    ``workers`` forked processes; ``options`` are :class:`uvicorn.Config`'s."""
    import uvicorn
    from uvicorn.importer import import_from_string

    from tools.context import load_settings

    make_app: Callable[..., Any] = import_from_string(factory)
    service = HashDB(load_settings())
    # What every worker would load for itself, loaded once: the app, the indexes, the
    # hashers and the libraries they import.
    app = make_app(service=service)
    service.warm_up()
    _rehearse(service)
    service.pipeline.close()  # the change watcher's thread: each worker starts its own
    service.store.close()  # no connection may be shared with a child
    config = uvicorn.Config(app, **options)
    config.load()  # the protocol classes, the lifespan and uvicorn's middleware
    config.get_loop_factory()  # imports uvloop
    sock = config.bind_socket()
    # Objects that exist now stay where they are: a collection in a worker would otherwise
    # write to (and so copy) every page that holds one.
    gc.collect()
    gc.freeze()
    # Freed heap pages go back to the system: a worker that reused them would copy each
    # one, and the parent would keep its own copy besides.
    release_freed_memory()
    supervisor = _Supervisor(lambda: _run_worker(config, sock), workers, graceful_seconds)
    try:
        supervisor.run()
    finally:
        sock.close()
        service.close()


def _rehearse(service: HashDB) -> None:
    """Run here, once, what each worker's first lookups would run.

    Python specialises a function's bytecode in place the first times it runs, and anyio
    imports its thread pool's modules on first use: done in each worker, both write to (and
    so copy) pages the workers could share. The lookup is of a hash that matches nothing, so
    it reads nothing and caches no entry. Requests through the app itself are left out:
    they would count in its metrics.
    """
    lookups = [parse_hash(*_REHEARSED)]
    for _ in range(_REHEARSALS):
        service.matching.begin_lookup(lookups, principal=LOCAL_OPERATOR).finish()
        service.matching.lookup(lookups, principal=LOCAL_OPERATOR)
    running = set(threading.enumerate())
    asyncio.run(anyio.to_thread.run_sync(int))
    # The pool's thread stops once the loop is closed: no thread may be running at the fork.
    for thread in set(threading.enumerate()) - running:
        thread.join(_THREAD_STOP_SECONDS)


def _run_worker(config: Any, sock: socket.socket) -> None:
    import uvicorn

    uvicorn.Server(config).run(sockets=[sock])


class _Supervisor:
    def __init__(self, work: Callable[[], None], workers: int, graceful_seconds: float) -> None:
        self.work = work
        self.workers = workers
        self.graceful_seconds = graceful_seconds
        self.children: dict[int, float] = {}  # pid: when it started
        self.stopping = False
        self.quick_exits = 0  # in a row
        self.missing = 0  # workers to start again
        self.restart_at = 0.0

    def run(self) -> None:
        previous = {
            number: signal.signal(number, self._stop) for number in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for _ in range(self.workers):
                self._fork()
            while not self.stopping:
                time.sleep(_POLL_SECONDS)
                self._replace_exited()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            self._shut_down()

    def _replace_exited(self) -> None:
        now = time.monotonic()
        for pid, started in self._reap():
            self.missing += 1
            if now - started < _QUICK_EXIT_SECONDS:
                self.quick_exits += 1
            else:
                self.quick_exits = 0
            delay = (
                min(_POLL_SECONDS * 2**self.quick_exits, _MAX_RESTART_DELAY_SECONDS)
                if self.quick_exits
                else 0.0
            )
            self.restart_at = max(self.restart_at, now + delay)
            log.warning("worker %d exited; starting another in %.1f s", pid, delay)
        while self.missing and not self.stopping and time.monotonic() >= self.restart_at:
            self.missing -= 1
            self._fork()

    def _fork(self) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                for number in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(number, signal.SIG_DFL)
                # SIGTERM: uvicorn's graceful stop, should `serve` be killed outright.
                signal_on_parent_death(parent, signal.SIGTERM)
                self.work()
            except BaseException:
                log.exception("worker failed")
                code = 1
            finally:
                os._exit(code)
        self.children[pid] = time.monotonic()

    def _stop(self, _number: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _reap(self) -> list[tuple[int, float]]:
        """The workers that exited, with when each started."""
        exited: list[tuple[int, float]] = []
        for pid in list(self.children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                exited.append((pid, self.children.pop(pid)))
        return exited

    def _shut_down(self) -> None:
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.graceful_seconds + 5
        while self.children and time.monotonic() < deadline:
            time.sleep(0.05)
            self._reap()
        for pid in self.children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.children.clear()
