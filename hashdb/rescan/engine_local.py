"""The default engine: a pool of worker processes on this machine, no cluster needed."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Generator, Iterable
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
_PRELOAD = ("hashdb.rescan.worker", "hashdb.store.sqlite", "hashdb.store.postgres", "scipy.fftpack")


def _context() -> multiprocessing.context.BaseContext:
    # Workers start clean (no inherited database connections or threads): forked from a
    # server process that has imported hashdb once, where available, else spawned.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(_PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


class LocalEngine:
    """A pool of worker processes, each with its own pipeline and database connection."""

    def __init__(self, workers: int | None = None, in_flight_per_worker: int = 3) -> None:
        self.workers = max(1, workers or available_cores())
        self.window = self.workers * max(1, in_flight_per_worker)

    def run(
        self, config: WorkerConfig, chunks: Iterable[list[ScanItem]]
    ) -> Generator[ChunkResult, None, None]:
        context = _context()
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
