"""The engine extension point: run :func:`~hashdb.rescan.worker.process_chunk` somewhere.

An engine takes chunks of items and yields each chunk with its outcomes **in submission
order**, keeping only a bounded number of chunks in flight, so memory stays flat however many
files a scan has and the coordinator can checkpoint "everything up to here is reported".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable
from typing import Protocol, TypeVar

from hashdb.rescan.sources import ScanItem
from hashdb.rescan.worker import FileOutcome, WorkerConfig

ChunkResult = tuple[list[ScanItem], list[FileOutcome]]


class Engine(Protocol):
    #: How many workers run chunks at once (for the summary and the in-flight bound).
    workers: int

    def run(
        self, config: WorkerConfig, chunks: Iterable[list[ScanItem]]
    ) -> Generator[ChunkResult, None, None]:
        """Process every chunk; yield (chunk, outcomes) in the order the chunks came in."""
        ...


ChunkT = TypeVar("ChunkT")
ResultT = TypeVar("ResultT")
ResultT_co = TypeVar("ResultT_co", covariant=True)


class Pending(Protocol[ResultT_co]):
    """A submitted chunk's future, as every executor has one."""

    def result(self) -> ResultT_co: ...
    def cancel(self) -> bool: ...


def in_order(
    chunks: Iterable[ChunkT], submit: Callable[[ChunkT], Pending[ResultT]], window: int
) -> Generator[tuple[ChunkT, ResultT], None, None]:
    """Submit chunks with at most ``window`` in flight; yield results in submission order.

    Chunks still in flight when the consumer stops (Ctrl-C, an error) are cancelled where
    they have not started; nothing after the last checkpoint counts, so a resume redoes them.
    """
    pending: deque[tuple[ChunkT, Pending[ResultT]]] = deque()
    try:
        for chunk in chunks:
            pending.append((chunk, submit(chunk)))
            if len(pending) >= window:
                head, future = pending.popleft()
                yield head, future.result()
        while pending:
            head, future = pending.popleft()
            yield head, future.result()
    finally:
        for _, future in pending:
            future.cancel()
