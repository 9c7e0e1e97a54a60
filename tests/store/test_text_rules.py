"""What text the store takes: list names every face can address, and no control characters
in any name, label, note or import cell, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from hashdb.errors import ImportRejected, InvalidValue, ListNotFound
from hashdb.exchange import ExchangeFormat
from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import HashDB
from hashdb.service.results import EntryMetadata
from hashdb.settings import Settings
from hashdb.store.models import NewList
from hashdb.store.models.text import check_list_name, check_text, control_character, printable

MD5 = "1f" * 16


@pytest.fixture
def hub(db_url: str) -> Iterator[HashDB]:
    service = HashDB(Settings(db=db_url, refresh_interval=0))
    yield service
    service.close()


@pytest.mark.parametrize(
    "name", ["gifct-shared", "Case 2024.17", "ünïcode list", "a.b", "x" * 200, "...x"]
)
def test_ordinary_list_names_are_taken(name: str) -> None:
    assert check_list_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "../../etc/passwd",
        "a/b",
        " lead",
        "trail ",
        "nul\x00",
        "esc\x1b[31m",
        "tab\tname",
        "c1\x9bx",
        "x" * 201,
    ],
)
def test_list_names_the_api_cannot_address_are_refused(name: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        NewList(name)
    assert caught.value.details == {"field": "name"}


def test_notes_may_hold_line_breaks_but_no_other_control_character() -> None:
    assert check_text("note", "two\nlines\twith a tab\r\n", lines=True)
    with pytest.raises(InvalidValue, match="note: control character '\\\\x00'"):
        check_text("note", "a\x00b", lines=True)
    with pytest.raises(InvalidValue, match="label"):
        check_text("label", "one\nline")


@pytest.mark.parametrize("around", ["plain text", "ünïcode ✓"])
def test_the_first_control_character_is_found_in_ascii_and_other_text(around: str) -> None:
    """ASCII text is checked by another route than the rest: both find every control
    character (C0, DEL, C1), the first of several, and allow line breaks only in lines."""
    allowed_in_lines = {"\t", "\n", "\r"}
    for code in [*range(0x20), *range(0x7F, 0xA0)]:
        bad = chr(code)
        text = f"{around}{bad}{around}\x00"
        assert control_character(text) == bad
        assert control_character(text, lines=True) == ("\x00" if bad in allowed_in_lines else bad)
    assert control_character(around) is None
    assert control_character(f"{around}\n\t\r", lines=True) is None


def test_printable_shows_control_characters_as_escapes() -> None:
    assert printable("red\x1b[31m\x00") == "red\\x1b[31m\\x00"
    assert printable("plain ünïcode «»") == "plain ünïcode «»"


def test_a_nul_in_a_lookup_is_a_clear_error_on_every_backend(hub: HashDB) -> None:
    with pytest.raises(InvalidValue) as caught:
        hub.lists.get("a\x00b", LOCAL_OPERATOR)
    assert caught.value.details == {"field": "list"}
    with pytest.raises(ListNotFound):
        hub.lists.get("absent", LOCAL_OPERATOR)


def test_a_nul_in_entry_metadata_is_refused_before_the_database(hub: HashDB) -> None:
    for field in ("label", "note", "source"):
        with pytest.raises(InvalidValue) as caught:
            EntryMetadata(**{field: "x\x00"})
        assert caught.value.details == {"field": field}


def _import(hub: HashDB, *records: dict[str, object], list_name: str | None = None) -> None:
    text = "\n".join(json.dumps(record) for record in records) + "\n"
    hub.exchange.import_stream(
        io.StringIO(text), ExchangeFormat.JSONL, list_name=list_name, principal=LOCAL_OPERATOR
    )


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b", "bell\x07"])
def test_import_creates_no_list_the_api_cannot_address(hub: HashDB, name: str) -> None:
    with pytest.raises((ImportRejected, InvalidValue)) as caught:
        _import(hub, {"algorithm": "md5", "hash": MD5, "list": name})
    assert "list" in str(caught.value)
    with pytest.raises(ImportRejected, match="line 1: name: "):
        _import(hub, {"record": "list", "name": name}, {"algorithm": "md5", "hash": MD5})
    assert hub.store.lists() == []


@pytest.mark.parametrize("column", ["note", "label", "source", "list", "added_by"])
def test_import_refuses_a_control_character_in_any_cell_naming_it(hub: HashDB, column: str) -> None:
    row = {"algorithm": "md5", "hash": MD5, "list": "fine", column: "x\x00y"}
    with pytest.raises(ImportRejected) as caught:
        _import(hub, row)
    assert caught.value.details["errors"][0]["line"] == 1
    assert f"{column}: control character" in caught.value.details["errors"][0]["message"]
    assert hub.store.lists() == []


def test_a_csv_import_refuses_a_control_character_naming_line_and_column(hub: HashDB) -> None:
    text = f"algorithm,hash,note\nmd5,{MD5},fine\nmd5,{'2e' * 16},bad\x00note\n"
    with pytest.raises(ImportRejected) as caught:
        hub.exchange.import_stream(
            io.StringIO(text), ExchangeFormat.CSV, list_name="csv", principal=LOCAL_OPERATOR
        )
    assert caught.value.details["errors"][0]["line"] == 3
    assert "note: control character" in caught.value.details["errors"][0]["message"]
