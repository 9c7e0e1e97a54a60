"""What a rescan reads: directories walked recursively, single files, and manifests.

Items come out in one deterministic order, and each carries a *key* that sorts in that
order: ``[input number, path components...]`` for a walked directory (entries sorted by name,
directories descended where they sort), ``[input number]`` for a file named on the command
line, ``[input number, line number]`` for a manifest line. A resume passes the key of the
last item already reported as ``after``; the walk then skips whole subtrees that sort before
it without listing them, so resuming at file three million is quick, and files created
behind the checkpoint since the first run are left for the next rescan instead of shifting
everything after them.

A manifest has one path or ``file://`` URI per line (blank lines and ``#`` comments are
skipped; relative paths are relative to the manifest's folder). A line with any other URI
scheme becomes an item with an ``unsupported_source`` error, reported and counted like an
unreadable file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hashdb.errors import FileNotReadable, HashDBError, MediaError, UnsupportedSource

#: Files named on the command line with these suffixes are read as manifests.
MANIFEST_SUFFIXES = frozenset({".manifest", ".lst", ".txt"})


@dataclass(frozen=True, slots=True)
class ScanItem:
    """One thing to scan: the path to report, the absolute location to read, its walk key."""

    path: str
    location: str
    key: tuple[Any, ...]
    error: dict[str, Any] | None = None

    @classmethod
    def failed(cls, path: str, key: tuple[Any, ...], error: HashDBError) -> ScanItem:
        return cls(path=path, location="", key=key, error=error.to_dict())


@dataclass(frozen=True, slots=True)
class ScanInput:
    """A command-line input: a directory, a media file, or a manifest."""

    path: str
    manifest: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "manifest": self.manifest}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ScanInput:
        return cls(path=str(body["path"]), manifest=bool(body.get("manifest", False)))


def classify(
    paths: Sequence[str], manifests: Sequence[str] = (), cwd: str | None = None
) -> list[ScanInput]:
    """Command-line paths (manifests recognised by suffix) plus explicit ``--manifest`` files."""
    base = cwd or os.getcwd()
    inputs = [
        ScanInput(path, manifest=Path(path).suffix.lower() in MANIFEST_SUFFIXES)
        if os.path.isfile(os.path.join(base, path))
        else ScanInput(path)
        for path in paths
    ]
    inputs.extend(ScanInput(path, manifest=True) for path in manifests)
    return inputs


def iter_items(
    inputs: Sequence[ScanInput], cwd: str, after: Sequence[Any] | None = None
) -> Iterator[ScanItem]:
    """Every item of every input, in key order, skipping those at or before ``after``."""
    resume = tuple(after) if after else None
    for number, scan_input in enumerate(inputs):
        if resume is not None and number < resume[0]:
            continue
        start = resume if resume is not None and resume[0] == number else None
        absolute = os.path.join(cwd, scan_input.path)
        key = (number,)
        if scan_input.manifest:
            yield from _manifest(scan_input.path, absolute, number, start)
        elif os.path.isdir(absolute):
            yield from _walk(scan_input.path, absolute, key, start)
        elif start is None:
            yield _file(scan_input.path, absolute, key)


def count_items(inputs: Sequence[ScanInput], cwd: str, after: Sequence[Any] | None) -> int:
    return sum(1 for _ in iter_items(inputs, cwd, after))


def _file(path: str, absolute: str, key: tuple[Any, ...]) -> ScanItem:
    if not os.path.lexists(absolute):
        return ScanItem.failed(path, key, FileNotReadable("no such file"))
    return ScanItem(path=path, location=os.path.abspath(absolute), key=key)


def _walk(
    shown: str, absolute: str, key: tuple[Any, ...], after: tuple[Any, ...] | None
) -> Iterator[ScanItem]:
    try:
        with os.scandir(absolute) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        yield ScanItem.failed(shown, key, FileNotReadable(f"cannot list the folder: {reason}"))
        return
    for entry in entries:
        child_key = (*key, entry.name)
        child_after: tuple[Any, ...] | None = None
        if after is not None:
            if after[: len(child_key)] == child_key:
                child_after = after  # on the path to the checkpoint: descend, keep skipping
            elif child_key < after:
                continue  # wholly before the checkpoint
            else:
                after = None  # past the checkpoint: everything from here on is new
        child_shown = os.path.join(shown, entry.name)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(child_shown, entry.path, child_key, child_after)
        elif child_after is None or child_after != child_key:
            yield _entry_item(entry, child_shown, child_key)


def _entry_item(entry: os.DirEntry[str], shown: str, key: tuple[Any, ...]) -> ScanItem:
    try:
        regular = entry.is_file()  # follows symbolic links to files
    except OSError:
        regular = False
    if not regular:
        if entry.is_symlink() and not os.path.exists(entry.path):
            problem: MediaError = FileNotReadable("broken symbolic link")
        elif entry.is_symlink() and os.path.isdir(entry.path):
            # Not followed: links can loop, and the target is usually scanned on its own.
            problem = FileNotReadable("symbolic link to a folder (not followed)")
        else:
            problem = FileNotReadable("not a regular file")
        return ScanItem.failed(shown, key, problem)
    return ScanItem(path=shown, location=os.path.abspath(entry.path), key=key)


def _manifest(
    shown: str, absolute: str, number: int, after: tuple[Any, ...] | None
) -> Iterator[ScanItem]:
    skip_to = int(after[1]) if after is not None and len(after) > 1 else 0
    base = os.path.dirname(os.path.abspath(absolute))
    try:
        handle = open(absolute, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
    except OSError as exc:
        if after is None:
            reason = exc.strerror or str(exc)
            yield ScanItem.failed(
                shown, (number, 0), FileNotReadable(f"cannot read the manifest: {reason}")
            )
        return
    with handle:
        for line_number, raw in enumerate(handle, start=1):
            if line_number <= skip_to:
                continue
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            yield _manifest_item(line, base, (number, line_number))


def _manifest_item(line: str, base: str, key: tuple[Any, ...]) -> ScanItem:
    location: str
    if "://" in line:
        parts = urlsplit(line)
        if parts.scheme.lower() != "file":
            return ScanItem.failed(
                line,
                key,
                UnsupportedSource(
                    f"cannot read {parts.scheme}:// locations; only local paths and file:// URIs",
                    scheme=parts.scheme,
                ),
            )
        if parts.netloc not in ("", "localhost"):
            return ScanItem.failed(
                line,
                key,
                UnsupportedSource(f"file:// URI on another host ({parts.netloc})"),
            )
        location = unquote(parts.path)
    else:
        location = line if os.path.isabs(line) else os.path.join(base, line)
    if not os.path.lexists(location):
        return ScanItem.failed(line, key, FileNotReadable("no such file"))
    return ScanItem(path=line, location=os.path.abspath(location), key=key)
