"""The engine extension point: run :func:`~hashdb.rescan.worker.process_chunk` somewhere.

An engine takes chunks of items and yields each chunk with its outcomes **in submission
order**, keeping only a bounded number of chunks in flight, so memory stays flat however many
files a scan has and the coordinator can checkpoint "everything up to here is reported".
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Protocol

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
