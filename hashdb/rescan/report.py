"""Rescan reports: one JSON line (the ``match --json`` object) or one CSV row per file.

A file report is resumable: a checkpoint records its size after the last whole chunk
(:meth:`FileSink.position`), flushed and fsynced first; a resume cuts the file back to that
size, dropping a partly written last line and every line written after the checkpoint, then
appends. Standard output cannot
be cut back: after a hard kill (not Ctrl-C, which checkpoints exactly) the lines written
since the last checkpoint (at most one checkpoint interval) are written again on resume.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import os
from collections.abc import Sequence
from typing import IO, Any, BinaryIO, Protocol

from hashdb.errors import UsageError


class ReportFormat(enum.StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    #: Human-readable lines on stdout: matches and errors only.
    TEXT = "text"


CSV_COLUMNS = (
    "path",
    "status",
    "unchanged",
    "error_code",
    "error_message",
    "matches",
    "list",
    "action",
    "entry_id",
    "algorithm",
    "distance",
    "threshold",
    "label",
    "sha256",
    "pdq",
)


def to_json_line(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n"


def csv_row(body: dict[str, Any]) -> dict[str, Any]:
    error = body.get("error") or {}
    matches = body.get("matches") or []
    best = matches[0] if matches else {}
    hashes = body.get("hashes") or {}
    return {
        "path": body.get("path", ""),
        "status": "error" if error else ("match" if body.get("matched") else "no_match"),
        "unchanged": "true" if body.get("unchanged") else "",
        "error_code": error.get("code", ""),
        "error_message": error.get("message", ""),
        "matches": len(matches),
        "list": best.get("list", ""),
        "action": best.get("action", ""),
        "entry_id": best.get("entry_id", ""),
        "algorithm": best.get("algorithm", ""),
        "distance": best.get("distance", ""),
        "threshold": best.get("threshold", ""),
        "label": best.get("label") or "",
        "sha256": hashes.get("sha256", ""),
        "pdq": hashes.get("pdq", ""),
    }


def text_lines(body: dict[str, Any]) -> str:
    path = body.get("path", "")
    error = body.get("error")
    if error:
        return f"{path}: error: {error.get('code')}: {error.get('message')}\n"
    lines = []
    for match in body.get("matches") or []:
        label = f" label={match['label']!r}" if match.get("label") else ""
        lines.append(
            f"{path}: MATCH list={match['list']} action={match['action']} "
            f"entry={match['entry_id']} {match['algorithm']} "
            f"distance={match['distance']}/{match['threshold']}{label}\n"
        )
    return "".join(lines)


class Formatter:
    def __init__(self, report_format: ReportFormat) -> None:
        self.format = report_format

    def header(self) -> str:
        if self.format is not ReportFormat.CSV:
            return ""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(CSV_COLUMNS)
        return buffer.getvalue()

    def render(self, bodies: Sequence[dict[str, Any]]) -> str:
        if self.format is ReportFormat.JSONL:
            return "".join(to_json_line(body) for body in bodies)
        if self.format is ReportFormat.TEXT:
            return "".join(text_lines(body) for body in bodies)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
        writer.writerows(csv_row(body) for body in bodies)
        return buffer.getvalue()


class Sink(Protocol):
    def write(self, text: str) -> None: ...

    def position(self) -> int | None:
        """Bytes written so far, if the sink can be cut back to them on resume."""
        ...

    def sync(self) -> None:
        """Make everything written so far durable."""
        ...

    def close(self) -> None: ...


class StreamSink:
    """Standard output (or any text stream): flushed at checkpoints, never cut back."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        if text:
            self._stream.write(text)

    def position(self) -> int | None:
        return None

    def sync(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()


class FileSink:
    """A report file, opened fresh (``resume_at=None``) or cut back to a checkpoint."""

    def __init__(self, path: str, resume_at: int | None = None) -> None:
        self.path = path
        self._handle: BinaryIO
        try:
            if resume_at is None:
                self._handle = open(path, "wb")  # noqa: SIM115 - closed in close()
            else:
                self._handle = open(path, "r+b")  # noqa: SIM115
                size = os.fstat(self._handle.fileno()).st_size
                if size < resume_at:
                    self._handle.close()
                    raise UsageError(
                        f"the report {path} has {size} bytes, fewer than the {resume_at} "
                        "recorded at the last checkpoint: it was changed since; cannot resume "
                        "into it without losing lines",
                        path=path,
                    )
                self._handle.truncate(resume_at)
                self._handle.seek(resume_at)
        except OSError as exc:
            raise UsageError(f"cannot write the report {path}: {exc.strerror or exc}") from None

    def write(self, text: str) -> None:
        if text:
            self._handle.write(text.encode("utf-8", errors="surrogateescape"))

    def position(self) -> int:
        return self._handle.tell()

    def sync(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()
