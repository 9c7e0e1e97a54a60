"""Progress of a rescan on stderr: a live bar on a terminal, a log line every few seconds
otherwise (logs and pipes)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

    from hashdb.rescan.job import Progress as ScanProgress


def errors_text(errors: dict[str, int]) -> str:
    if not errors:
        return "0 errors"
    detail = ", ".join(f"{code} {count}" for code, count in sorted(errors.items()))
    return f"{sum(errors.values())} errors ({detail})"


class LogProgress:
    """Progress as a log line every ``interval`` seconds, for logs and pipes."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last = time.monotonic()

    def __call__(self, progress: ScanProgress) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        counters = progress.counters
        rate = (
            progress.done_this_run / progress.elapsed_this_run if progress.elapsed_this_run else 0
        )
        if progress.total:
            share = (
                f"{counters.files}/{progress.total} files ({counters.files / progress.total:.0%})"
            )
            left = progress.total - counters.files
            eta = f", ETA {duration(left / rate)}" if rate else ""
        else:
            share, eta = f"{counters.files} files", ""
        typer.echo(
            f"rescan job {progress.job_id}: {share}, {rate:.1f} files/s, "
            f"{counters.matched} matched, {errors_text(dict(counters.errors))}{eta}",
            err=True,
        )

    def close(self) -> None:
        pass


class BarProgress:
    """A live progress bar on a terminal (rich)."""

    def __init__(self, console: Console, job_id: int) -> None:
        from rich.progress import (  # only a terminal draws a bar: loaded when one does
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn(f"[bold]rescan job {job_id}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.1f} files/s"),
            TextColumn("[green]{task.fields[matched]} matched"),
            TextColumn("[red]{task.fields[errors]} errors"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            # Report lines on a terminal print above the bar; piped or redirected, they must
            # go to stdout untouched, never to the console on stderr.
            redirect_stdout=sys.stdout.isatty(),
        )
        self._task: TaskID = self._progress.add_task(
            "rescan", total=None, rate=0.0, matched=0, errors=0
        )
        self._progress.start()

    def __call__(self, progress: ScanProgress) -> None:
        counters = progress.counters
        rate = (
            progress.done_this_run / progress.elapsed_this_run if progress.elapsed_this_run else 0
        )
        self._progress.update(
            self._task,
            completed=counters.files,
            total=progress.total,
            rate=rate,
            matched=counters.matched,
            errors=counters.error_count,
        )

    def close(self) -> None:
        self._progress.stop()


def duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
