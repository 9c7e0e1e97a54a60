"""Records (plain dicts, as read from or written to a file) <-> entries and import rows.

Generic over the fields of :class:`~hashdb.store.models.Entry` and the columns of the
entries table: a provenance field added to both later is exported and imported without a
change here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import numpy as np

from hashdb.errors import HashDBError
from hashdb.hashing import ALGORITHMS, Digest, get_algorithm
from hashdb.hashing.vpdq import VIDEO_ALGORITHM, fingerprint
from hashdb.store.exchange import ImportRow, importable_columns
from hashdb.store.models import Entry, NewVideoFrame, VideoFrame

#: Record keys that are not entry columns: ``list`` names the list, ``entry_id`` and
#: ``item_id`` are the exporting database's ids (informative, ignored on import), ``frames`` the
#: frame hashes of a video (``vpdq``) entry.
EXTRA = ("list", "entry_id", "item_id", "labels", "frames")
#: Column order of exports (CSV headers follow it): what a reader needs first, then provenance.
_ORDER = (
    "algorithm",
    "hash",
    "label",
    "note",
    "quality",
    "source_sha256",
    "added_by",
    "added_at",
    "retired_at",
    "retired_reason",
    "retired_by",
    "organisation",
    "source",
    "labels",
    "list",
    "entry_id",
    "item_id",
)


class BadRow(Exception):
    """A row that cannot be imported; readers put ``KEY`` in a record they could not parse."""

    KEY = "__bad_row__"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@cache
def known_fields() -> frozenset[str]:
    return frozenset({"algorithm", "hash", *EXTRA, *importable_columns()})


@cache
def _text_columns() -> frozenset[str]:
    """Entry columns that hold text, so a string from a file goes in as it is."""
    return frozenset(
        name for name, column in importable_columns().items() if _python_type(column.type) is str
    )


def _python_type(column_type: Any) -> Any:
    try:
        return column_type.python_type
    except NotImplementedError:
        return object


def export_record(entry: Entry, frames: Sequence[VideoFrame] | None = None) -> dict[str, Any]:
    """Every field of an entry's view (:meth:`Entry.to_dict`) in a stable order (CSV columns
    follow it), then ``frames``: null except for a video entry, whose value is only a
    fingerprint of them."""
    view = entry.to_dict()
    record = {key: view.pop(key) for key in _ORDER}
    record.update(view)  # a field added to the entry's view later is exported too
    record["frames"] = None if frames is None else [_frame_record(frame) for frame in frames]
    return record


def _frame_record(frame: VideoFrame) -> dict[str, Any]:
    return {
        "timestamp": frame.timestamp,
        "duration": frame.duration,
        "hash": frame.value.hex(),
        "quality": frame.quality,
        "band": None if frame.band is None else frame.band.hex(),
    }


def parse_record(
    line: int, record: dict[str, Any], *, force: bool, min_quality: int
) -> tuple[str | None, ImportRow]:
    """Validate one record: (its ``list`` field, the row to import), or raise BadRow."""
    if BadRow.KEY in record:
        raise BadRow(str(record[BadRow.KEY]))
    if not known_fields().issuperset(record):
        unknown = [key for key in record if key not in known_fields()]
        raise BadRow(f"unknown field(s) {', '.join(sorted(unknown))}")
    algorithm_name = record.get("algorithm")
    text = record.get("hash")
    if not isinstance(algorithm_name, str) or not algorithm_name.strip():
        raise BadRow("missing algorithm")
    if not isinstance(text, str) or not text.strip():
        raise BadRow("missing hash")
    columns = importable_columns()
    text_columns = _text_columns()
    fields: dict[str, Any] = {}
    for key, raw in record.items():
        if raw is None or raw == "":
            continue
        if key in text_columns and isinstance(raw, str):
            fields[key] = raw  # the common case (label, note...): nothing to convert
        elif key in columns:
            fields[key] = _convert(key, raw, columns[key].type)
    if algorithm_name.strip().lower() == VIDEO_ALGORITHM:
        return _video_row(line, record, text, fields)
    if record.get("frames") not in (None, "", []):
        raise BadRow("only a vpdq (video) entry has frames")
    try:
        algorithm = get_algorithm(algorithm_name)
        digest = algorithm.parse(text)
        if fields.get("retired_at") is None:
            if not force:
                quality = fields.get("quality")
                if quality is not None:
                    digest = Digest(digest.algorithm, digest.value, quality)
                algorithm.check_storable(digest, min_quality=min_quality)
        else:
            _check_retirement(fields)
    except HashDBError as exc:
        raise BadRow(exc.message) from None
    return (
        _list_named(record),
        ImportRow(line, digest.algorithm, digest.value, fields, _labels(record.get("labels"))),
    )


#: The fields of a plain row, which :func:`parse_plain` validates a column at a time.
_PLAIN = frozenset({"algorithm", "hash", "label", "note", "list"})
_PLAIN_TEXT = ("label", "note")


def parse_plain(
    chunk: Sequence[tuple[int, dict[str, Any]]], *, force: bool
) -> list[tuple[str | None, ImportRow]] | None:
    """Validate rows that hold only algorithm, hash, label, note and list (what big hash
    lists are) a column at a time: one hex decode and one numpy degeneracy check per
    algorithm instead of Python work per row. ``None`` when any row is not plain or not
    valid; the caller then parses row by row, which finds and words each problem."""
    rows_of: dict[str, list[int]] = {}
    for position, (_line, record) in enumerate(chunk):
        if not _PLAIN.issuperset(record):
            return None
        rows_of.setdefault(record.get("algorithm"), []).append(position)  # type: ignore[arg-type]
    values: list[bytes] = [b""] * len(chunk)
    for name, positions in rows_of.items():
        algorithm = ALGORITHMS.get(name) if isinstance(name, str) else None
        if algorithm is None:
            return None
        texts = [chunk[position][1].get("hash") for position in positions]
        if not all(isinstance(text, str) for text in texts):
            return None
        if {len(text) for text in texts if text is not None} != {algorithm.hex_length}:
            return None
        try:
            blob = bytes.fromhex("".join(texts))  # type: ignore[arg-type]
        except ValueError:
            return None
        width = algorithm.bits // 8
        if len(blob) != width * len(positions):  # whitespace inside a hash
            return None
        if not force and algorithm.refuse_degenerate:
            matrix = np.frombuffer(blob, dtype=np.uint8).reshape(len(positions), width)
            flat = matrix.min(axis=1) == matrix.max(axis=1)
            if np.any(flat & ((matrix[:, 0] == 0) | (matrix[:, 0] == 0xFF))):
                return None
        for number, position in enumerate(positions):
            values[position] = blob[number * width : (number + 1) * width]
    parsed: list[tuple[str | None, ImportRow]] = []
    for (line, record), value in zip(chunk, values, strict=True):
        fields = {}
        for key in _PLAIN_TEXT:
            text = record.get(key)
            if text is not None and text != "":
                if not isinstance(text, str):
                    return None
                fields[key] = text
        parsed.append(
            (
                _list_named(record),
                ImportRow(line, record["algorithm"], value, fields),
            )
        )
    return parsed


def _video_row(
    line: int, record: dict[str, Any], text: str, fields: dict[str, Any]
) -> tuple[str | None, ImportRow]:
    """A video entry: its frames must be valid PDQ hashes whose fingerprint is its hash."""
    raw = record.get("frames")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise BadRow("frames must be a JSON list of frame objects") from None
    if not isinstance(raw, list) or not raw:
        raise BadRow("a vpdq entry needs its frames (a list of {timestamp, hash, ...})")
    pdq = get_algorithm("pdq")
    frames = []
    try:
        for position, frame in enumerate(raw):
            band = frame.get("band")
            frames.append(
                NewVideoFrame(
                    index=position,
                    timestamp=float(frame["timestamp"]),
                    duration=float(frame.get("duration") or 0.0),
                    value=pdq.parse(str(frame["hash"])).value,
                    quality=int(frame.get("quality") or 0),
                    band=None if band in (None, "") else pdq.parse(str(band)).value,
                )
            )
    except HashDBError as exc:
        raise BadRow(f"frame {position}: {exc.message}") from None
    except (AttributeError, KeyError, TypeError, ValueError):
        raise BadRow(f"frame {position}: needs a timestamp and a 64-hex-digit PDQ hash") from None
    value = fingerprint(frame.value for frame in frames)
    if text.strip().lower() != value.hex():
        raise BadRow("a vpdq hash must be the SHA-256 fingerprint of its frame hashes")
    if fields.get("retired_at") is not None:
        _check_retirement(fields)
    return (
        _list_named(record),
        ImportRow(
            line, VIDEO_ALGORITHM, value, fields, _labels(record.get("labels")), tuple(frames)
        ),
    )


def _list_named(record: dict[str, Any]) -> str | None:
    """The record's ``list`` field, if it names one."""
    name = record.get("list")
    return str(name) if name not in (None, "") else None


def _check_retirement(fields: dict[str, Any]) -> None:
    if not str(fields.get("retired_reason") or "").strip():
        raise BadRow("a retired entry needs a retired_reason")


def _labels(raw: Any) -> tuple[str, ...]:
    """JSONL carries a list; CSV a JSON list in one cell (as export writes it)."""
    if raw in (None, ""):
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise BadRow("labels must be a JSON list of FACET:VALUE strings") from None
    if not isinstance(raw, list) or not all(isinstance(label, str) for label in raw):
        raise BadRow("labels must be a list of FACET:VALUE strings")
    return tuple(raw)


def _convert(key: str, raw: Any, column_type: Any) -> Any:
    python_type = _python_type(column_type)
    try:
        if python_type is datetime:
            value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if python_type is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(raw)
            return int(raw)
        if python_type is str:
            return str(raw)
        if python_type in (dict, list) and isinstance(raw, str):
            return json.loads(raw)
    except (TypeError, ValueError):
        raise BadRow(f"{key}: {str(raw)[:60]!r} is not a valid {python_type.__name__}") from None
    return raw
