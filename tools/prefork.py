"""Several workers forked from one process that has already loaded the app and the indexes.

uvicorn's own ``--workers`` starts each worker as a new interpreter, which imports every
library and loads every index again: two workers cost 2.7 times the memory of one. Here the
parent imports the app, loads the service's indexes, and then forks the workers: the index
arrays and the imported modules are shared copy-on-write, so a worker costs only the pages it
writes to. The parent then becomes the small supervisor of :mod:`tools.supervisor`, so that
it no longer holds the originals of the pages the workers wrote.

After the fork each worker opens its own database connections (the parent closes its pool
first), starts its own change watcher (:mod:`hashdb.store.watch` resets it in a forked child)
and catches up with the changes made since the parent loaded, then keeps following them like
any server. A worker whose parent dies without stopping it (``kill -9``) is asked to stop as
if by SIGTERM: it must not keep the port (and the database) from the next ``hashdb serve``.
A worker started later, in place of one that died, is this module run as a program
(:func:`serve_one`).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

import anyio.to_thread

from hashdb.hashing import parse_hash
from hashdb.identity import LOCAL_OPERATOR
from hashdb.rescan.worker import signal_on_parent_death
from hashdb.service import HashDB
from hashdb.service.core import release_freed_memory
from tools.supervisor import become_supervisor

log = logging.getLogger("hashdb.serve")

#: Rounds of the rehearsal before the fork: enough for Python to specialise what they run.
_REHEARSALS = 100
#: The hash the rehearsal looks up: all zero bits, which hashdb refuses to store (a blank
#: picture's), so the lookup matches nothing and reads nothing.
_REHEARSED = ("pdq", "0" * 64)
#: How long the rehearsal's thread may take to stop.
_THREAD_STOP_SECONDS = 5.0


def serve_forked(
    factory: str, workers: int, options: dict[str, Any], *, graceful_seconds: float
) -> None:
    """Serve the app from ``factory`` (``module:function``, called with ``service=``) with
    ``workers`` forked processes; ``options`` are :class:`uvicorn.Config`'s."""
    import uvicorn

    # What every worker would load for itself, loaded once: the app, the indexes, the
    # hashers and the libraries they import.
    app, service = _app(factory)
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
    pids = [_fork(lambda: _run_worker(config, sock)) for _ in range(workers)]
    worker = {"factory": factory, "options": options, "fd": sock.fileno()}
    become_supervisor(pids, worker, workers, graceful_seconds)


def serve_one(worker: dict[str, Any]) -> None:
    """A worker started in place of one that died: it loads the app itself and serves the
    supervisor's listening socket (``worker``: what :func:`become_supervisor` handed over,
    and the supervisor's pid)."""
    import uvicorn

    signal_on_parent_death(worker["parent"], signal.SIGTERM)
    sock = socket.socket(fileno=worker["fd"])
    app, _service = _app(worker["factory"])
    _run_worker(uvicorn.Config(app, **worker["options"]), sock)


def _app(factory: str) -> tuple[Any, HashDB]:
    """The app from ``factory`` (``module:function``) over a service on the configured
    database, and that service."""
    from uvicorn.importer import import_from_string

    from tools.context import load_settings

    make_app: Callable[..., Any] = import_from_string(factory)
    service = HashDB(load_settings())
    return make_app(service=service), service


def _fork(work: Callable[[], None]) -> int:
    """A forked worker running ``work``, stopped (SIGTERM) if this process dies."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        # SIGTERM: uvicorn's graceful stop, should `serve` be killed outright.
        signal_on_parent_death(parent, signal.SIGTERM)
        work()
    except BaseException:
        log.exception("worker failed")
        code = 1
    finally:
        os._exit(code)


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


if __name__ == "__main__":
    serve_one(json.loads(sys.argv[1]))
