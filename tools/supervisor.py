"""What ``hashdb serve --workers N`` becomes once it has forked its workers.

The process that forks the workers has loaded the app and the indexes; had it stayed, it
would keep the original of every page a worker writes to, so a page both workers wrote would
be held three times. Instead it replaces itself (``exec``, same pid) with this small program:
the workers keep sharing what neither wrote, and what they wrote exists once per worker. It
imports nothing of hashdb, so it costs a few MiB.

It serves nothing: it forwards SIGINT and SIGTERM to the workers, waits for them, and starts
a new worker when one dies. A new worker is a fresh process (``python -m tools.prefork``)
that loads the app itself and serves the same listening socket, which this process keeps
open for that; it shares nothing with the others, so it costs what one worker costs alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.config
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

log = logging.getLogger("hashdb.serve")

#: How often the supervisor looks for workers that exited.
_POLL_SECONDS = 0.2
#: A worker that exits sooner than this after it started failed to start (the database is
#: unreachable, say): the next is started after a wait that doubles with each such failure,
#: up to the cap, instead of five times a second for as long as the cause lasts.
_QUICK_EXIT_SECONDS = 10.0
_MAX_RESTART_DELAY_SECONDS = 30.0
#: This interpreter running a module of hashdb's. ``-P``: not from the working directory,
#: where a folder of the user's own named ``tools`` would be found first.
_PYTHON = (sys.executable, "-P", "-m")


class Supervisor:
    """Keeps ``workers`` processes running: those in ``adopted`` (already started, children
    of this process), and new ones from ``start``, which returns the new child's pid."""

    def __init__(
        self,
        start: Callable[[], int],
        workers: int,
        graceful_seconds: float,
        adopted: Iterable[int] = (),
    ) -> None:
        self.start = start
        self.workers = workers
        self.graceful_seconds = graceful_seconds
        now = time.monotonic()
        self.children: dict[int, float] = dict.fromkeys(adopted, now)  # pid: when it started
        self.stopping = False
        self.quick_exits = 0  # in a row
        self.missing = workers - len(self.children)  # workers to start
        self.restart_at = 0.0

    def run(self) -> None:
        previous = {
            number: signal.signal(number, self._stop) for number in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            while not self.stopping:
                self._replace_exited()
                time.sleep(_POLL_SECONDS)
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
            try:
                pid = self.start()
            except OSError as error:  # no process could be made now: try again later
                self.missing += 1
                self.restart_at = time.monotonic() + _MAX_RESTART_DELAY_SECONDS
                log.error("cannot start a worker: %s", error)
                return
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
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.children.clear()


def become_supervisor(
    pids: list[int], worker: dict[str, Any], workers: int, graceful_seconds: float
) -> None:
    """Replace this process with the supervisor of ``pids``, its forked workers. ``worker``
    is what a new worker needs (``tools.prefork.serve_one``): the app factory, uvicorn's
    options and the listening socket's descriptor, which stays open across the ``exec``."""
    os.set_inheritable(worker["fd"], True)
    plan = {
        "pids": pids,
        "worker": worker,
        "workers": workers,
        "graceful_seconds": graceful_seconds,
    }
    # Whatever the logging handlers hold is about to be dropped with the process image.
    logging.shutdown()
    os.execv(sys.executable, [*_PYTHON, "tools.supervisor", json.dumps(plan)])


def _start_worker(worker: dict[str, Any]) -> int:
    """A fresh worker process serving the same socket (the only descriptor it inherits
    besides the standard streams)."""
    argv = [*_PYTHON, "tools.prefork", json.dumps({**worker, "parent": os.getpid()})]
    return os.posix_spawn(sys.executable, argv, os.environ)


def main(argv: list[str]) -> None:
    plan = json.loads(argv[1])
    worker: dict[str, Any] = plan["worker"]
    log_config = worker["options"].get("log_config")
    if isinstance(log_config, dict):
        logging.config.dictConfig(log_config)
    supervisor = Supervisor(
        lambda: _start_worker(worker),
        plan["workers"],
        plan["graceful_seconds"],
        adopted=plan["pids"],
    )
    supervisor.run()


if __name__ == "__main__":
    main(sys.argv)
