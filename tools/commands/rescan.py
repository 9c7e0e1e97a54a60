"""``hashdb rescan``, ``scan-jobs`` and ``rematch``: bulk rescans of stored media.

The command is a face over :mod:`hashdb.rescan`: it builds the request, picks the engine,
draws progress on stderr (a live bar on a terminal, a log line every few seconds otherwise),
turns the first Ctrl-C (or SIGTERM) into a clean checkpointed stop and prints the summary.
"""

from __future__ import annotations

import enum
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hashdb.errors import ScanInterrupted, UsageError
from hashdb.rescan.report import ReportFormat, StreamSink
from hashdb.rescan.sources import classify
from tools.context import emit_json, state
from tools.progress import BarProgress, LogProgress, errors_text

if TYPE_CHECKING:
    from hashdb.rescan.engine import Engine
    from hashdb.rescan.job import Progress as ScanProgress
    from hashdb.rescan.job import RescanSummary


class EngineChoice(enum.StrEnum):
    LOCAL = "local"
    DASK = "dask"


class OutputFormat(enum.StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


@contextmanager
def _graceful_stop() -> Iterator[threading.Event]:
    """First Ctrl-C or SIGTERM: finish the chunks in flight, checkpoint, stop. Second: now."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        typer.echo("stopping at the next checkpoint (Ctrl-C again to stop now)...", err=True)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _make_engine(engine: EngineChoice, workers: int | None, scheduler: str | None) -> Engine:
    if workers is not None and workers < 1:
        raise UsageError("--workers must be at least 1")
    if engine is EngineChoice.DASK:
        from hashdb.rescan.engine_dask import DaskEngine

        if not scheduler:
            raise UsageError("--engine dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        return DaskEngine(scheduler)
    if scheduler:
        raise UsageError("--scheduler only applies to --engine dask")
    from hashdb.rescan.engine_local import LocalEngine

    return LocalEngine(workers)


def _print_summary(summary: RescanSummary, resumed: bool) -> None:
    counters = summary.counters
    rate = counters.files / counters.elapsed if counters.elapsed else 0.0
    typer.echo(
        f"rescan job {summary.job_id} {summary.status.value}"
        f"{' (resumed)' if resumed else ''}: {counters.files} files, {counters.matched} matched, "
        f"{errors_text(dict(counters.errors))}, {counters.unchanged} unchanged, "
        f"{counters.elapsed:.1f} s ({rate:.1f} files/s, {summary.workers} workers)",
        err=True,
    )
    if summary.output:
        typer.echo(f"report: {summary.output}", err=True)


def rescan(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Folders (walked recursively), media files, or manifests (*.txt, *.lst, "
            "*.manifest: one path or file:// URI per line).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines (the match --json objects) on stdout.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to FILE (resumable) instead."),
    ] = None,
    report_format: Annotated[
        OutputFormat | None,
        typer.Option("--format", help="Report format (default: csv for *.csv, else jsonl)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", help="Worker processes (default: every core)."),
    ] = None,
    resume: Annotated[
        int | None,
        typer.Option("--resume", help="Continue scan job JOB from its last checkpoint."),
    ] = None,
    store_hashes: Annotated[
        bool,
        typer.Option(
            "--store-hashes",
            help="Store every file's hashes for rematch; unchanged files are not decoded again.",
        ),
    ] = False,
    manifest: Annotated[
        list[str] | None,
        typer.Option("--manifest", "-m", help="A manifest file of any name (repeatable)."),
    ] = None,
    lists: Annotated[
        list[str] | None, typer.Option("--list", "-l", help="Only match these lists (repeatable).")
    ] = None,
    engine: Annotated[
        EngineChoice, typer.Option("--engine", help="Where workers run.")
    ] = EngineChoice.LOCAL,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address for --engine dask."),
    ] = None,
    progress_interval: Annotated[
        float,
        typer.Option(
            "--progress-interval", help="Seconds between progress lines when not on a terminal."
        ),
    ] = 10.0,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", help="Files per task sent to a worker.", hidden=True)
    ] = 8,
    checkpoint_interval: Annotated[
        float,
        typer.Option("--checkpoint-interval", help="Seconds between checkpoints.", hidden=True),
    ] = 1.0,
) -> None:
    """Scan folders, files and manifests in parallel against every list, resumably.

    Exit 0 when every file was processed, 1 when some could not be read (they are in the
    report with the reason), 130 when interrupted (resume with --resume JOB).
    """
    service = state(ctx).service
    if chunk_size < 1:
        raise UsageError("--chunk-size must be at least 1")
    if resume is not None:
        given = [
            name
            for name, value in (
                ("PATH", paths),
                ("--output", output),
                ("--format", report_format),
                ("--store-hashes", store_hashes),
                ("--manifest", manifest),
                ("--list", lists),
            )
            if value
        ]
        if given:
            raise UsageError(
                f"--resume continues a job with its own inputs and report; drop {', '.join(given)}"
            )
        run_engine = _make_engine(engine, workers, scheduler)
        job = service.rescans.resume(resume, state(ctx).principal)
    else:
        if not paths and not manifest:
            raise UsageError("give folders, files or manifests to scan (or --resume JOB)")
        if output is not None:
            chosen = report_format or (
                OutputFormat.CSV if output.suffix.lower() == ".csv" else OutputFormat.JSONL
            )
            fmt = ReportFormat(chosen.value)
        elif as_json or report_format is not None:
            fmt = ReportFormat((report_format or OutputFormat.JSONL).value)
        else:
            fmt = ReportFormat.TEXT
        cwd = os.getcwd()
        from hashdb.rescan.job import RescanRequest  # workers' libraries load only to scan

        request = RescanRequest(
            inputs=classify(paths or [], manifest or [], cwd),
            cwd=cwd,
            output=None if output is None else os.path.join(cwd, output),
            format=fmt,
            store_hashes=store_hashes,
            lists=lists or None,
        )
        run_engine = _make_engine(engine, workers, scheduler)
        job = service.rescans.start(request, state(ctx).principal)
    from rich.console import Console  # the rescan's own libraries: not every command's

    console = Console(stderr=True)
    verb = "resuming" if job.resumed else "started"
    typer.echo(
        f"rescan job {job.job.id} {verb} ({run_engine.workers} workers, {engine.value} engine)",
        err=True,
    )
    reporter: LogProgress | BarProgress = (
        BarProgress(console, job.job.id) if console.is_terminal else LogProgress(progress_interval)
    )
    on_progress: Callable[[ScanProgress], None] = reporter
    try:
        with _graceful_stop() as stop:
            summary = job.run(
                run_engine,
                StreamSink(sys.stdout),
                on_progress,
                stop=stop,
                chunk_size=chunk_size,
                checkpoint_interval=checkpoint_interval,
            )
    except ScanInterrupted as interrupted:
        reporter.close()
        typer.echo(interrupted.message, err=True)
        raise typer.Exit(130) from None
    finally:
        reporter.close()
        close = getattr(run_engine, "close", None)
        if close is not None:
            close()
    _print_summary(summary, job.resumed)
    if summary.counters.error_count:
        raise typer.Exit(1)


def scan_jobs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per job.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="How many recent jobs.")] = 20,
) -> None:
    """List recent rescan jobs, their status and counters (to find one to --resume)."""
    for job in state(ctx).service.store.scan_jobs(limit):
        counters: dict[str, Any] = job.counters
        if as_json:
            emit_json(
                {
                    "id": job.id,
                    "status": job.status.value,
                    "created_at": job.created_at.isoformat(),
                    "updated_at": job.updated_at.isoformat(),
                    "owner": job.owner,
                    "inputs": [item["path"] for item in job.params.get("inputs", [])],
                    "output": job.params.get("output"),
                    **counters,
                }
            )
            continue
        inputs = " ".join(item["path"] for item in job.params.get("inputs", []))
        typer.echo(
            f"{job.id}\t{job.status.value}\t{job.created_at:%Y-%m-%d %H:%M:%S}\t"
            f"{counters.get('files', 0)} files\t{counters.get('matched', 0)} matched\t"
            f"{errors_text(counters.get('errors') or {})}\t{inputs}"
        )


def _parse_since(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"--since takes an ISO 8601 time such as 2026-12-01T18:00:00Z, got {value!r}"
        ) from None


def rematch(
    ctx: typer.Context,
    since: Annotated[
        str,
        typer.Option(
            "--since", help="Entries added at or after this ISO 8601 time (UTC if no offset)."
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="One match --json object per matched stored file.")
    ] = False,
    lists: Annotated[
        list[str] | None, typer.Option("--list", "-l", help="Only these lists (repeatable).")
    ] = None,
) -> None:
    """Match entries added since a time against stored media hashes, decoding no file."""
    cli = state(ctx)
    report = cli.service.rescans.rematch(_parse_since(since), cli.principal, lists or None)
    for hit in report.hits:
        if as_json:
            emit_json(hit.to_dict())
            continue
        for match in hit.result.matches:
            if match.entry_id not in hit.new_entry_ids:
                continue
            label = f" label={match.label!r}" if match.label else ""
            typer.echo(
                f"{hit.media.location}: MATCH list={match.list} action={match.action.value} "
                f"entry={match.entry_id} {match.algorithm} distance={match.distance}"
                f"/{match.threshold}{label} added_by={match.entry.added_by}"
            )
    typer.echo(
        f"rematch: {report.new_entries} entries added since {report.since.isoformat()}, "
        f"{report.stored_hashes} stored hashes searched, {len(report.hits)} files matched, "
        f"{report.elapsed:.2f} s",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.command("rescan")(rescan)
    app.command("scan-jobs")(scan_jobs)
    app.command("rematch")(rematch)
