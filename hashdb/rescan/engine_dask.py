"""The distributed engine: the same chunks, run on a Dask cluster.

Workers read the files from shared storage (the same paths on every machine) and write the
media-hash store to the shared database named in the settings (PostgreSQL for real
clusters); the coordinator keeps the output, the order and the checkpoints, exactly as the
local engine does, so a Dask run writes the same report as a local one.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

from hashdb.errors import ConfigError, StoreUnavailable
from hashdb.rescan.engine import ChunkResult, in_order
from hashdb.rescan.sources import ScanItem
from hashdb.rescan.worker import FileOutcome, WorkerConfig, process_chunk


def _run_chunk(config: WorkerConfig, items: list[ScanItem]) -> list[FileOutcome]:
    return process_chunk(config, items)


class DaskEngine:
    def __init__(
        self, scheduler: str, in_flight_per_worker: int = 3, connect_timeout: float = 30
    ) -> None:
        if not scheduler:
            raise ConfigError("--engine dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
        try:
            import distributed
        except ImportError:
            raise ConfigError(
                "the dask engine needs the optional Dask packages: pip install 'hashdb[dask]'"
            ) from None
        try:
            client: Any = distributed.Client
            self._client: Any = client(scheduler, timeout=connect_timeout)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}", scheduler=scheduler
            ) from None
        threads = self._client.nthreads()
        self.workers = max(1, sum(threads.values()))
        self.window = self.workers * max(1, in_flight_per_worker)

    def close(self) -> None:
        self._client.close()

    def run(
        self, config: WorkerConfig, chunks: Iterable[list[ScanItem]]
    ) -> Generator[ChunkResult, None, None]:
        def submit(chunk: list[ScanItem]) -> Any:
            # pure=False: two chunks with equal items are still two pieces of work.
            return self._client.submit(_run_chunk, config, chunk, pure=False)

        yield from in_order(chunks, submit, self.window)
