"""A rescan job: inputs in, ordered report out, progress checkpointed in the database.

The coordinator (this module) walks the inputs, hands chunks to an engine, writes each
chunk's report lines in input order and, at most every ``checkpoint_interval`` seconds,
records a checkpoint: the walk key of the last reported file, how many files are done, the
counters, and the report file's durable size (flushed and fsynced first). A resume truncates
the report to that size and restarts the walk after that key, so after a crash at any
instant no file is skipped and none is reported twice. Ctrl-C checkpoints exactly.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hashdb.errors import Conflict, HashDBError, ListNotFound, ScanInterrupted, UsageError
from hashdb.rescan.context import ScanContext
from hashdb.rescan.engine import Engine
from hashdb.rescan.report import FileSink, Formatter, ReportFormat, Sink
from hashdb.rescan.sources import ScanInput, ScanItem, count_items, iter_items
from hashdb.rescan.worker import FileOutcome, WorkerConfig
from hashdb.store.models import ScanJob, ScanStatus

__all__ = ["Progress", "Rescan", "RescanRequest", "RescanSummary", "ScanInterrupted"]


#: A job marked running whose owner on another machine has not checkpointed for this long is
#: taken to be dead and may be resumed.
STALE_AFTER_SECONDS = 120.0


@dataclass(frozen=True)
class RescanRequest:
    """What to scan and where the report goes; stored with the job, reused on resume."""

    inputs: list[ScanInput]
    cwd: str
    output: str | None = None
    format: ReportFormat = ReportFormat.JSONL
    store_hashes: bool = False
    lists: list[str] | None = None

    def to_params(self) -> dict[str, Any]:
        return {
            "inputs": [scan_input.to_json() for scan_input in self.inputs],
            "cwd": self.cwd,
            "output": self.output,
            "format": self.format.value,
            "store_hashes": self.store_hashes,
            "lists": self.lists,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> RescanRequest:
        return cls(
            inputs=[ScanInput.from_json(item) for item in params["inputs"]],
            cwd=str(params["cwd"]),
            output=params.get("output"),
            format=ReportFormat(params.get("format", "jsonl")),
            store_hashes=bool(params.get("store_hashes", False)),
            lists=params.get("lists"),
        )


@dataclass
class Counters:
    files: int = 0
    matched: int = 0
    unchanged: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def add(self, outcome: FileOutcome) -> None:
        self.files += 1
        self.matched += outcome.matched
        self.unchanged += outcome.unchanged
        if outcome.error_code:
            self.errors[outcome.error_code] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "matched": self.matched,
            "unchanged": self.unchanged,
            "errors": dict(sorted(self.errors.items())),
            "elapsed": round(self.elapsed, 3),
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Counters:
        return cls(
            files=int(body.get("files", 0)),
            matched=int(body.get("matched", 0)),
            unchanged=int(body.get("unchanged", 0)),
            errors=Counter({str(k): int(v) for k, v in (body.get("errors") or {}).items()}),
            elapsed=float(body.get("elapsed", 0.0)),
        )


@dataclass(frozen=True)
class Progress:
    job_id: int
    counters: Counters
    #: Files in the whole job once the background count has finished, else None.
    total: int | None
    #: Files done in this run (the rate and ETA are computed from these).
    done_this_run: int
    elapsed_this_run: float


@dataclass(frozen=True)
class RescanSummary:
    job_id: int
    status: ScanStatus
    counters: Counters
    workers: int
    output: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "status": self.status.value, **self.counters.to_json()}


def owner_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_resumable(job: ScanJob) -> None:
    if job.status is ScanStatus.COMPLETED:
        raise Conflict(f"scan job {job.id} has already completed", job_id=job.id)
    if job.status is not ScanStatus.RUNNING or not job.owner:
        return
    from hashdb.errors import ScanJobBusy

    host, _, pid = job.owner.rpartition(":")
    if host == socket.gethostname():
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            raise ScanJobBusy(
                f"scan job {job.id} is still being run by process {pid} on this machine",
                job_id=job.id,
            )
        return
    age = (datetime.now(UTC) - job.updated_at).total_seconds()
    if age < STALE_AFTER_SECONDS:
        raise ScanJobBusy(
            f"scan job {job.id} is running on {host} (last checkpoint {age:.0f} s ago)",
            job_id=job.id,
        )


def _chunked(items: Iterable[ScanItem], size: int) -> Iterator[list[ScanItem]]:
    chunk: list[ScanItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Rescan:
    """One run of a scan job (a fresh start or a resume)."""

    def __init__(self, context: ScanContext, job: ScanJob, *, resumed: bool) -> None:
        self.context = context
        self.job = job
        self.request = RescanRequest.from_params(job.params)
        self.resumed = resumed

    @classmethod
    def start(cls, context: ScanContext, request: RescanRequest) -> Rescan:
        for name in request.lists or ():
            try:
                context.store.get_list(name)
            except ListNotFound as error:
                raise UsageError(error.message) from None
        if not request.inputs:
            raise UsageError("nothing to scan: give at least one folder, file or manifest")
        job = context.store.create_scan_job(request.to_params(), owner_tag())
        return cls(context, job, resumed=False)

    @classmethod
    def resume(cls, context: ScanContext, job_id: int) -> Rescan:
        job = context.store.get_scan_job(job_id)
        _check_resumable(job)
        context.store.update_scan_job(job.id, status=ScanStatus.RUNNING, owner=owner_tag())
        return cls(context, context.store.get_scan_job(job.id), resumed=True)

    def open_sink(self, stdout: Sink) -> Sink:
        formatter = Formatter(self.request.format)
        if self.request.output is None:
            if not self.resumed:
                stdout.write(formatter.header())
            return stdout
        resume_at = self.job.output_bytes if self.resumed else None
        sink = FileSink(self.request.output, resume_at)
        if resume_at is None:
            sink.write(formatter.header())
        return sink

    def run(
        self,
        engine: Engine,
        stdout: Sink,
        on_progress: Callable[[Progress], None] | None = None,
        *,
        stop: threading.Event | None = None,
        chunk_size: int = 16,
        checkpoint_interval: float = 1.0,
    ) -> RescanSummary:
        """Scan to the end, or until ``stop`` is set (then raise :class:`ScanInterrupted`)."""
        store = self.context.store
        request = self.request
        counters = Counters.from_json(self.job.counters)
        formatter = Formatter(request.format)
        settings = self.context.settings.model_dump()
        if "://" not in settings["db"]:  # a SQLite path: workers may run in another folder
            settings["db"] = os.path.abspath(settings["db"])
        config = WorkerConfig(
            settings=settings,
            job_id=self.job.id,
            lists=tuple(request.lists) if request.lists else None,
            store_hashes=request.store_hashes,
        )
        after = self.job.last_key
        total: list[int | None] = [None]
        done_before = counters.files

        def count() -> None:
            try:
                total[0] = done_before + count_items(request.inputs, request.cwd, after)
            except Exception:  # the count only feeds the ETA; the scan reports real errors
                total[0] = None

        threading.Thread(target=count, name="hashdb-rescan-count", daemon=True).start()
        sink = self.open_sink(stdout)
        started = time.monotonic()
        elapsed_before = counters.elapsed
        # What a checkpoint records, updated only once a whole chunk is written and counted,
        # so an interruption at any instant checkpoints a consistent state.
        committed: tuple[list[Any] | None, int | None, dict[str, Any]] = (
            after,
            sink.position(),
            counters.to_json(),
        )

        def checkpoint(status: ScanStatus) -> None:
            key, position, snapshot = committed
            snapshot = {
                **snapshot,
                "elapsed": round(elapsed_before + time.monotonic() - started, 3),
            }
            sink.sync()
            store.update_scan_job(
                self.job.id,
                status=status,
                done=int(snapshot["files"]),
                last_key=key,
                output_bytes=position,
                counters=snapshot,
            )

        checkpoint(ScanStatus.RUNNING)
        last_checkpoint = time.monotonic()
        status = ScanStatus.FAILED
        items = iter_items(request.inputs, request.cwd, after)
        results = engine.run(config, _chunked(items, chunk_size))
        try:
            for chunk, outcomes in results:
                sink.write(formatter.render([outcome.body for outcome in outcomes]))
                for outcome in outcomes:
                    counters.add(outcome)
                committed = (list(chunk[-1].key), sink.position(), counters.to_json())
                now = time.monotonic()
                if now - last_checkpoint >= checkpoint_interval:
                    checkpoint(ScanStatus.RUNNING)
                    last_checkpoint = now
                if on_progress is not None:
                    on_progress(
                        Progress(
                            job_id=self.job.id,
                            counters=counters,
                            total=total[0],
                            done_this_run=counters.files - done_before,
                            elapsed_this_run=now - started,
                        )
                    )
                if stop is not None and stop.is_set():
                    raise KeyboardInterrupt
            status = ScanStatus.COMPLETED
        except KeyboardInterrupt:
            status = ScanStatus.INTERRUPTED
            results.close()
            checkpoint(status)
            files = committed[2]["files"]
            raise ScanInterrupted(
                f"interrupted after {files} files; resume with: hashdb rescan --resume "
                f"{self.job.id}",
                job_id=self.job.id,
            ) from None
        finally:
            try:
                if status is not ScanStatus.INTERRUPTED:
                    checkpoint(status)
            except HashDBError:
                if status is ScanStatus.COMPLETED:
                    raise
            finally:
                if sink is not stdout:
                    sink.close()
        final = Counters.from_json(committed[2])
        final.elapsed = elapsed_before + time.monotonic() - started
        return RescanSummary(
            job_id=self.job.id,
            status=status,
            counters=final,
            workers=engine.workers,
            output=request.output,
        )
