"""The column-at-a-time parser of plain rows agrees with the row-by-row parser."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hashdb.exchange.records import BadRow, parse_plain, parse_record

_HEX = "0123456789abcdefABCDEF"


def _hash_text(width: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.binary(min_size=width, max_size=width).map(bytes.hex),
        st.text(_HEX, min_size=width * 2, max_size=width * 2),  # mixed case
        st.sampled_from(["00" * width, "ff" * width, "FF" * width]),  # degenerate
        st.text(_HEX + " xg", min_size=0, max_size=width * 2 + 2),  # malformed, mostly
    )


_RECORD = st.one_of(
    st.fixed_dictionaries(
        {"algorithm": st.just("pdq"), "hash": _hash_text(32)},
        optional={"label": st.text(max_size=5), "note": st.text(max_size=5), "list": st.text()},
    ),
    st.fixed_dictionaries(
        {"algorithm": st.sampled_from(["md5", "PDQ", "sha1", "vpdq"]), "hash": _hash_text(16)},
        optional={"label": st.integers()},
    ),
    st.fixed_dictionaries(
        {"algorithm": st.just("pdq"), "hash": _hash_text(32), "quality": st.integers(0, 100)}
    ),
)


def _row_by_row(chunk: list[tuple[int, dict[str, Any]]], force: bool) -> list[Any]:
    out: list[Any] = []
    for line, record in chunk:
        try:
            out.append(parse_record(line, record, force=force, min_quality=0))
        except BadRow as bad:
            out.append(bad.message)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(_RECORD, max_size=12), st.booleans())
def test_plain_parse_is_row_by_row_parse_or_declines(
    records: list[dict[str, Any]], force: bool
) -> None:
    chunk = list(enumerate(records, start=2))
    plain = parse_plain(chunk, force=force)
    if plain is not None:
        assert plain == _row_by_row(chunk, force)


def test_plain_rows_are_taken_column_wise() -> None:
    chunk = [
        (2, {"algorithm": "pdq", "hash": "ab" * 32, "label": "x"}),
        (3, {"algorithm": "md5", "hash": "CD" * 16, "list": "l"}),
    ]
    plain = parse_plain(chunk, force=False)
    assert plain is not None
    assert [(named, row.algorithm, row.value, row.fields) for named, row in plain] == [
        (None, "pdq", bytes.fromhex("ab" * 32), {"label": "x"}),
        ("l", "md5", bytes.fromhex("cd" * 16), {}),
    ]
    assert parse_plain([(2, {"algorithm": "pdq", "hash": "00" * 32})], force=False) is None
    assert parse_plain([(2, {"algorithm": "pdq", "hash": "00" * 32})], force=True) is not None
