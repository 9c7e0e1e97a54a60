"""The default engine: a pool of worker processes on this machine, no cluster needed."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

from hashdb.rescan.engine import ChunkResult, in_order
from hashdb.rescan.sources import ScanItem
from hashdb.rescan.worker import (
    FileOutcome,
    WorkerConfig,
    context_for,
    exit_with_coordinator,
    ignore_interrupts,
    process_chunk,
)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _init_worker(config: WorkerConfig, coordinator: int) -> None:
    ignore_interrupts()
    exit_with_coordinator(coordinator)
    context_for(config).pipeline.refresh()  # load the index before the first file, not during


def _run_chunk(config: WorkerConfig, items: list[ScanItem]) -> list[FileOutcome]:
    return process_chunk(config, items)


#: Imported once in the fork server, so each worker starts warm (missing ones are skipped).
_PRELOAD = ("hashdb.rescan.worker", "hashdb.store.sqlite", "hashdb.store.postgres")


def worker_context(preload: Sequence[str] = _PRELOAD) -> multiprocessing.context.BaseContext:
    """Where worker processes come from. They start clean (no inherited database connections
    or threads): forked from a server process that has imported ``preload`` once, where
    available, else spawned."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        _start_forkserver_deaf_to_ctrl_c()
        return context
    return multiprocessing.get_context("spawn")


def _start_forkserver_deaf_to_ctrl_c() -> None:
    """Start the fork server with Ctrl-C ignored: it imports hashdb before it ignores the
    signal itself, and a Ctrl-C in that moment (it shares the terminal's process group) would
    print a traceback. The workers it forks ignore Ctrl-C too; the coordinator decides."""
    if threading.current_thread() is not threading.main_thread():
        multiprocessing.forkserver.ensure_running()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


class LocalEngine:
    """A pool of worker processes, each with its own pipeline and database connection."""

    def __init__(self, workers: int | None = None, in_flight_per_worker: int = 3) -> None:
        self.workers = max(1, workers or available_cores())
        self.window = self.workers * max(1, in_flight_per_worker)

    def run(
        self, config: WorkerConfig, chunks: Iterable[list[ScanItem]]
    ) -> Generator[ChunkResult, None, None]:
        context = worker_context()
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(config, os.getpid()),
        )
        try:
            yield from in_order(
                chunks, lambda chunk: pool.submit(_run_chunk, config, chunk), self.window
            )
        finally:
            # Chunks already running finish (workers ignore Ctrl-C); their results are dropped
            # and re-done on resume, because nothing after the last checkpoint counts.
            pool.shutdown(wait=True, cancel_futures=True)
