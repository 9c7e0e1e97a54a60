"""Plain CSV and te files read and validated a column at a time, for imports of millions of rows.

A *plain* file holds only algorithm, hash, label, note and list columns (te: signal type,
signal, tags): what big hash lists are. Parsing it row by row costs several microseconds of
Python per row; here pyarrow's CSV reader (C++, RFC 4180 quoting like Python's ``csv``)
turns the text into columns and numpy checks them whole:

* the hashes are decoded from hex a whole chunk at a time (``bytes.fromhex``), and checked
  for width and (unless forced) for being all zeros or all ones, as
  :func:`hashdb.exchange.records.parse_plain` does;
* text columns are dictionary-encoded, so whatever Python still runs (naming algorithms,
  normalising te tags) runs once per distinct value, not once per row.

Anything this path does not take (another column, a bad row, an unknown algorithm) makes
:func:`read_plain` return ``None`` and the caller reads the file row by row, which finds and
words every problem with its line number: a valid file imports the same either way.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from hashdb.exchange import csv_format, te_format
from hashdb.exchange.formats import ExchangeFormat
from hashdb.hashing import ALGORITHMS
from hashdb.store.plain_import import PlainRows

#: The entry fields a plain CSV may carry besides algorithm and hash and list.
_TEXT = ("label", "note")
_PLAIN_CSV = frozenset({"algorithm", "hash", "list", *_TEXT})


@dataclass
class PlainFile:
    """A valid plain file: its row count and its rows by list and algorithm."""

    rows: int
    #: List name (``None``: the rows name no list) -> that list's rows, one batch per algorithm.
    lists: dict[str | None, list[PlainRows]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Columns:
    """A file's columns by role, once the format's own conventions are applied."""

    algorithm: pa.DictionaryArray
    hashes: pa.ChunkedArray
    texts: dict[str, pa.DictionaryArray]
    lists: pa.DictionaryArray | None


def read_plain(text: str, fmt: ExchangeFormat, *, force: bool, by_list: bool) -> PlainFile | None:
    """The file's rows as columns, or ``None`` when it is not plain or not entirely valid.

    With ``by_list`` the rows are grouped by their ``list`` column (``None`` if some row has
    none); without it the column is ignored. A bad header raises
    :class:`~hashdb.errors.ImportRejected` as the row reader does."""
    data = text.encode("utf-8")
    end = data.find(b"\n")
    header_line = data[: max(end, 0)].decode("utf-8")
    if end < 0 or '"' in header_line:
        return None  # a quoted header cell may hold a newline: the row reader parses it
    header = next(csv.reader([header_line]), [])
    body = pa.py_buffer(data)[end + 1 :]
    if fmt is ExchangeFormat.CSV:
        names = csv_format.header_names(header)
        if not _PLAIN_CSV.issuperset(names) or len(set(names)) != len(names):
            return None
        table = _parse(body, len(names))
        columns = None if table is None else _csv_columns(table, names, by_list=by_list)
    elif fmt is ExchangeFormat.TE:
        names = te_format.header_names(header)
        table = _parse(body, len(names))
        columns = None if table is None else _te_columns(table)
    else:
        return None
    if columns is None:
        return None
    return _plain_file(columns, force=force)


def _parse(body: pa.Buffer, width: int) -> pa.Table | None:
    """The rows as a table of ``width`` string columns (empty cells null); ``None`` if the
    reader refuses them or finds none."""
    names = [f"c{index}" for index in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(body),
            read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid:  # a row of another width, no rows...: the row reader says
        return None
    return table if table.num_rows else None


def _csv_columns(table: pa.Table, names: list[str], *, by_list: bool) -> _Columns:
    column = {name: table.column(position) for position, name in enumerate(names)}
    return _Columns(
        algorithm=_encoded(column["algorithm"], lambda name: name if name in ALGORITHMS else ""),
        hashes=column["hash"],
        texts={name: _encoded(column[name]) for name in _TEXT if name in column},
        lists=_encoded(column["list"]) if by_list and "list" in column else None,
    )


def _te_columns(table: pa.Table) -> _Columns:
    def algorithm_of(signal_type: str) -> str:
        return te_format.ALGORITHMS.get(signal_type.strip().lower(), "")

    texts = {}
    if table.num_columns > 2:
        texts["label"] = _encoded(table.column(2), te_format.label_of_tags)
    return _Columns(_encoded(table.column(0), algorithm_of), table.column(1), texts, None)


def _unchanged(value: str) -> str:
    return value


def _encoded(column: pa.ChunkedArray, convert: Callable[[str], str] = _unchanged) -> Any:
    """The column dictionary-encoded as one array, ``convert`` applied to each distinct value;
    a value that converts to ``""`` reads as no value (null)."""
    encoded = column.dictionary_encode().unify_dictionaries()
    if encoded.num_chunks == 0:
        return pa.array([], pa.large_string()).dictionary_encode()
    encoded = encoded.combine_chunks()
    # Values that convert alike (" PDQ " and "pdq") become one entry of the dictionary.
    distinct: dict[str | None, int] = {}
    remap = [
        distinct.setdefault(convert(value) or None, len(distinct))
        for value in encoded.dictionary.to_pylist()
    ]
    indices = pc.take(pa.array(remap, pa.int32()), encoded.indices)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(distinct), pa.large_string()))


def _plain_file(columns: _Columns, *, force: bool) -> PlainFile | None:
    count = len(columns.hashes)
    names = columns.algorithm.dictionary.to_pylist()
    if columns.algorithm.null_count or columns.hashes.null_count or None in names:
        return None  # a missing or unknown algorithm, a missing hash: the row reader words it
    lengths = np.asarray(pc.binary_length(columns.hashes.cast(pa.large_binary())))
    algorithm_codes = _codes(columns.algorithm)
    if len(names) == 1 and np.all(lengths == ALGORITHMS[names[0]].hex_length):
        decoded = _hex_matrix(columns.hashes, ALGORITHMS[names[0]].hex_length)
        if decoded is None:
            return None
        by_algorithm = {names[0]: (np.arange(count), decoded)}
    else:
        by_algorithm = {}
        for code, name in enumerate(names):
            positions = np.flatnonzero(algorithm_codes == code)
            width = ALGORITHMS[name].hex_length
            if np.any(lengths[positions] != width):
                return None
            decoded = _hex_matrix(columns.hashes.take(positions), width)
            if decoded is None:
                return None
            by_algorithm[name] = (positions, decoded)
    variants, variant_of = _variants(columns.texts, count)
    if columns.lists is None:
        list_codes = np.zeros(count, dtype=np.intp)
        list_names: list[str | None] = [None]
    else:
        list_codes = _codes(columns.lists)
        list_names = [*columns.lists.dictionary.to_pylist(), None]  # -1: no list named
    plain = PlainFile(rows=count)
    for name, (positions, hashes) in by_algorithm.items():
        if not force and ALGORITHMS[name].refuse_degenerate and _any_degenerate(hashes):
            return None
        for list_code in np.unique(list_codes[positions]):
            in_list = list_codes[positions] == list_code
            plain.lists.setdefault(list_names[list_code], []).append(
                PlainRows(name, hashes[in_list], variants, variant_of[positions[in_list]])
            )
    return plain


def _codes(encoded: pa.DictionaryArray) -> npt.NDArray[np.intp]:
    """The dictionary indices as numpy, null as -1."""
    return np.asarray(encoded.indices.fill_null(-1), dtype=np.intp)


def _variants(
    texts: dict[str, pa.DictionaryArray], count: int
) -> tuple[list[dict[str, str]], npt.NDArray[np.intp]]:
    """The distinct combinations of the text columns and, per row, its combination."""
    combined = np.zeros(count, dtype=np.int64)
    values: dict[str, list[str | None]] = {}
    for name, encoded in texts.items():
        values[name] = encoded.dictionary.to_pylist()
        # One number per combination: the columns' codes (null -> 0) as its digits.
        combined = combined * (len(values[name]) + 1) + (_codes(encoded) + 1)
    top = int(combined.max(initial=0)) + 1
    if top <= 4 * count:  # few possible combinations: mark them instead of sorting the rows
        seen = np.zeros(top, dtype=bool)
        seen[combined] = True
        combinations = np.flatnonzero(seen)
        variant_of = (np.cumsum(seen) - 1)[combined]
    else:
        combinations, variant_of = np.unique(combined, return_inverse=True)
    variants = []
    for number in combinations.tolist():
        variant = {}
        for name in reversed(values):
            number, code = divmod(number, len(values[name]) + 1)
            value = values[name][code - 1] if code else None
            if value is not None:
                variant[name] = value
        variants.append(variant)
    return variants, variant_of.reshape(-1).astype(np.intp)


def _hex_matrix(texts: pa.ChunkedArray, hex_length: int) -> npt.NDArray[np.uint8] | None:
    """``(n, hex_length / 2)`` bytes decoded from hex strings of ``hex_length`` characters
    each, or ``None`` if some character is not a hex digit."""
    parts = []
    for chunk in texts.cast(pa.large_binary()).chunks:
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset :]
        data = chunk.buffers()[2]
        digits = data[int(offsets[0]) : int(offsets[len(chunk)])]
        try:
            # bytes.fromhex skips ASCII whitespace: a short result is a hash with a space in it.
            decoded = bytes.fromhex(digits.to_pybytes().decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return None
        if len(decoded) * 2 != len(chunk) * hex_length:
            return None
        parts.append(np.frombuffer(decoded, dtype=np.uint8))
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
    return flat.reshape(-1, hex_length // 2)


def _any_degenerate(hashes: npt.NDArray[np.uint8]) -> bool:
    """Some hash is all zeros or all ones (blank media), as ``check_storable`` refuses."""
    if hashes.shape[1] % 8:
        flat = hashes.min(axis=1) == hashes.max(axis=1)
        return bool(np.any(flat & ((hashes[:, 0] == 0) | (hashes[:, 0] == 0xFF))))
    words = np.ascontiguousarray(hashes).view(np.uint64)
    zero = np.all(words == 0, axis=1)
    ones = np.all(words == np.uint64(0xFFFFFFFFFFFFFFFF), axis=1)
    return bool(np.any(zero | ones))
