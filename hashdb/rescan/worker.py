"""What one worker process does with a chunk of files: read, decode, hash, match, store.

Every engine (local processes, a Dask cluster) runs :func:`process_chunk` on the worker side,
with one :class:`~hashdb.rescan.context.ScanContext` per worker process, so the per-file work
is exactly what ``hashdb match`` does: the same matching pipeline, as the local operator.
Whatever media kinds and matching the pipeline supports, a rescan supports.

With ``store_hashes``, a file whose size and mtime (or SHA-256) equal the stored record is not
decoded again: it is matched from its stored hashes (``"unchanged": true`` in its report
object when the record came from an earlier job).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hashdb.errors import FileNotReadable, HashDBError, MediaError
from hashdb.hashing import Digest
from hashdb.hashing.media import MediaHashes
from hashdb.matching.result import MatchResult
from hashdb.rescan.context import ScanContext
from hashdb.rescan.sources import ScanItem
from hashdb.settings import Settings
from hashdb.store.models import ScannedMedia, StoredHash


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Everything a worker needs, picklable: it crosses process and machine boundaries."""

    settings: dict[str, Any]
    job_id: int
    lists: tuple[str, ...] | None = None
    store_hashes: bool = False

    def cache_key(self) -> tuple[Any, ...]:
        return (tuple(sorted(self.settings.items())),)


@dataclass(slots=True)
class FileOutcome:
    """The report object of one file and what the counters need to know about it."""

    body: dict[str, Any]
    matched: bool = False
    error_code: str | None = None
    unchanged: bool = False


_contexts: dict[tuple[Any, ...], ScanContext] = {}
_contexts_lock = threading.Lock()


def context_for(config: WorkerConfig) -> ScanContext:
    """One context (store, pipeline) per worker process and database, opened on first use."""
    key = config.cache_key()
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = ScanContext.open(Settings(**config.settings))
            _contexts[key] = context
        return context


def ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the coordinator, which checkpoints and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: ``prctl`` option: the signal the kernel sends this process when its parent exits.
_PR_SET_PDEATHSIG = 1
#: How often the watchdog looks whether the coordinator is still alive (seconds).
WATCH_INTERVAL = 0.5


def signal_on_parent_death(parent: int, signum: int) -> None:
    """Have the kernel send this process ``signum`` when ``parent``, the process that
    started it, exits, even by ``kill -9`` (Linux: ``PR_SET_PDEATHSIG``; elsewhere nothing).
    Exits at once if ``parent`` is already gone."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the call above took effect
        os._exit(1)


def exit_with_coordinator(coordinator: int) -> None:
    """End this worker when the coordinator process ``coordinator`` dies, even by ``kill -9``
    (it cannot stop its workers then): on Linux the kernel kills the worker when its parent
    exits (``PR_SET_PDEATHSIG``; a forkserver parent exits with the coordinator), and a
    watchdog thread, anywhere, exits once the coordinator's pid is gone."""
    signal_on_parent_death(os.getppid(), signal.SIGKILL)  # elsewhere the watchdog ends it

    def watch() -> None:
        while _alive(coordinator):
            time.sleep(WATCH_INTERVAL)
        os._exit(1)  # nothing to report to: the coordinator is gone

    threading.Thread(target=watch, name="coordinator-watchdog", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's (the pid was reused)
        return False
    return True


def process_chunk(config: WorkerConfig, items: list[ScanItem]) -> list[FileOutcome]:
    context = context_for(config)
    stored: dict[str, ScannedMedia] = {}
    if config.store_hashes:
        stored = context.store.get_scanned_media([i.location for i in items if not i.error])
    outcomes: list[FileOutcome] = []
    records: list[ScannedMedia] = []
    for item in items:
        outcome, record = _scan_one(context, config, item, stored.get(item.location))
        outcomes.append(outcome)
        if record is not None:
            records.append(record)
    if records:
        context.store.put_scanned_media(records)
    return outcomes


def _scan_one(
    context: ScanContext, config: WorkerConfig, item: ScanItem, prior: ScannedMedia | None
) -> tuple[FileOutcome, ScannedMedia | None]:
    if item.error is not None:
        return _error(item.path, item.error), None
    lists = list(config.lists) if config.lists else None
    path = Path(item.location)
    try:
        if not config.store_hashes:
            return _done(item.path, context.match_bytes(context.read_file(path), lists)), None
        status = _stat(path)
        if prior is not None and not _rematchable(prior):
            prior = None  # a video: its stored hashes cannot reproduce frame matches
        if prior is not None and (prior.size_bytes, prior.mtime_ns) == status:
            return _from_store(context, config, item.path, prior, lists), None
        data = context.read_file(path)
        sha256 = hashlib.sha256(data).hexdigest()
        if prior is not None and prior.sha256 == sha256:
            moved = _replace_identity(prior, status, config.job_id)
            return _from_store(context, config, item.path, prior, lists), moved
        result = context.match_bytes(data, lists)
        assert result.hashes is not None
        record = _record(item.location, status, sha256, result.hashes, config.job_id)
        return _done(item.path, result), record
    except MediaError as error:
        return _error(item.path, error.to_dict()), None
    except HashDBError:
        raise  # the database went away, or similar: the scan stops at its last checkpoint
    except Exception as error:  # a decoder bug on hostile input must not stop the scan
        message = f"{type(error).__name__}: {error}"
        return _error(item.path, {"code": "internal_error", "message": message}), None


def _stat(path: Path) -> tuple[int, int]:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise FileNotReadable("no such file") from None
    except PermissionError:
        raise FileNotReadable("permission denied") from None
    except OSError as exc:
        raise FileNotReadable(f"cannot read the file: {exc.strerror or exc}") from None
    return status.st_size, status.st_mtime_ns


def _done(path: str, result: MatchResult) -> FileOutcome:
    return FileOutcome(body={"path": path, **result.to_dict()}, matched=result.matched)


def _error(path: str, error: dict[str, Any]) -> FileOutcome:
    return FileOutcome(
        body={"path": path, "matched": False, "error": error},
        error_code=str(error.get("code", "error")),
    )


def _rematchable(prior: ScannedMedia) -> bool:
    """Whether a stored record can be matched again without decoding: a still image, whose
    PDQ is stored. Videos cannot yet: the store keeps only their file digests, not the frame
    hashes video matching compares, so an unchanged video is decoded again."""
    return any(stored.algorithm == "pdq" for stored in prior.hashes)


def _from_store(
    context: ScanContext,
    config: WorkerConfig,
    path: str,
    prior: ScannedMedia,
    lists: list[str] | None,
) -> FileOutcome:
    hashes = stored_hashes(prior)
    result = replace(context.match_digests(hashes.digests, lists), hashes=hashes)
    outcome = _done(path, result)
    if prior.job_id != config.job_id:
        outcome.body["unchanged"] = True
        outcome.unchanged = True
    return outcome


def stored_hashes(record: ScannedMedia) -> MediaHashes:
    """The media hashes of a stored file, as the service would have computed them."""
    return MediaHashes(
        digests=[Digest(h.algorithm, h.value, h.quality) for h in record.hashes],
        format=record.format,
        width=record.width,
        height=record.height,
        size_bytes=record.size_bytes,
    )


def _record(
    location: str, status: tuple[int, int], sha256: str, hashes: MediaHashes, job_id: int
) -> ScannedMedia:
    return ScannedMedia(
        location=location,
        size_bytes=status[0],
        mtime_ns=status[1],
        sha256=sha256,
        format=hashes.format,
        width=hashes.width,
        height=hashes.height,
        hashes=[StoredHash(d.algorithm, d.value, d.quality) for d in hashes.digests],
        job_id=job_id,
    )


def _replace_identity(prior: ScannedMedia, status: tuple[int, int], job_id: int) -> ScannedMedia:
    return ScannedMedia(
        location=prior.location,
        size_bytes=status[0],
        mtime_ns=status[1],
        sha256=prior.sha256,
        format=prior.format,
        width=prior.width,
        height=prior.height,
        hashes=prior.hashes,
        job_id=prior.job_id if prior.job_id is not None else job_id,
    )
