"""Many files matched in worker processes, answered in the order given.

Matching one file is CPU work in one thread (decoding, hashing, the robust stages), so a
large batch (``hashdb match`` over a folder) runs on every core only with several processes.
Each worker opens its own :class:`~hashdb.service.core.HashDB` on the same settings, loads
its indexes once, then matches chunks of files; the caller gets each file's answer (or its
media error) in input order, with a bounded number of chunks in flight. Workers come from
the rescan engine's fork server and, like its workers, leave Ctrl-C to the caller and end
with it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hashdb.errors import MediaError
from hashdb.identity import Principal
from hashdb.matching.result import MatchResult
from hashdb.settings import Settings

if TYPE_CHECKING:
    from hashdb.service.core import HashDB

#: Files per task: large enough that a task's overhead (pickling, a queue round trip) is
#: small beside matching, small enough that answers come in steadily.
CHUNK = 8
#: Below this many files a pool's start (a fork server, each worker loading the indexes)
#: costs more than it saves: the files are matched in this process.
MIN_PARALLEL_FILES = 200
#: Imported once in the fork server: the service and the robust stages (OpenCV).
_PRELOAD = ("hashdb.service.core", "hashdb.matching.robust.matcher", "hashdb.store.sqlite")


@dataclass(frozen=True)
class _Failure:
    """A media error as it crosses the process boundary (rebuilt as the same class)."""

    kind: type[MediaError]
    message: str
    details: dict[str, Any]

    def error(self) -> MediaError:
        return self.kind(self.message, **self.details)


@dataclass(frozen=True)
class _Request:
    lists: Collection[str] | None
    labels: Sequence[str] | None
    principal: Principal


_WORKER: dict[str, HashDB] = {}


def default_workers(files: int) -> int:
    """Every core for a large batch, this process alone for a small one."""
    if files < MIN_PARALLEL_FILES:
        return 1
    from hashdb.rescan.engine_local import available_cores

    return available_cores()


def match_files(
    settings: Settings,
    paths: Sequence[Path],
    lists: Collection[str] | None,
    labels: Sequence[str] | None,
    principal: Principal,
    workers: int,
) -> Iterator[tuple[Path, MatchResult | MediaError]]:
    """Each path with its answer or its media error, in order, from ``workers`` processes."""
    from hashdb.rescan.engine import in_order
    from hashdb.rescan.engine_local import worker_context

    request = _Request(lists, labels, principal)
    pool = ProcessPoolExecutor(
        workers,
        mp_context=worker_context(_PRELOAD),
        initializer=_start_worker,
        initargs=(settings, os.getpid()),
    )
    try:
        chunks = (list(paths[i : i + CHUNK]) for i in range(0, len(paths), CHUNK))
        window = 3 * workers

        def submit(chunk: list[Path]) -> Future[list[MatchResult | _Failure]]:
            return pool.submit(_match_chunk, chunk, request)

        for chunk, outcomes in in_order(chunks, submit, window):
            for path, outcome in zip(chunk, outcomes, strict=True):
                yield path, outcome.error() if isinstance(outcome, _Failure) else outcome
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(settings: Settings, caller: int) -> None:
    from hashdb.rescan.worker import exit_with_coordinator, ignore_interrupts
    from hashdb.service.core import HashDB

    ignore_interrupts()
    exit_with_coordinator(caller)
    service = HashDB(settings)
    service.pipeline.refresh(force=True)  # the indexes load before the first file, once
    _WORKER["service"] = service


def _match_chunk(paths: list[Path], request: _Request) -> list[MatchResult | _Failure]:
    service = _WORKER["service"]
    outcomes: list[MatchResult | _Failure] = []
    for path in paths:
        try:
            outcomes.append(
                service.matching.file(
                    path, request.lists, labels=request.labels, principal=request.principal
                )
            )
        except MediaError as error:
            outcomes.append(_Failure(type(error), error.message, error.details))
    return outcomes
