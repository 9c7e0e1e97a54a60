"""Plain CSV and te files read a column at a time import exactly as row by row, both backends."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
import sqlalchemy as sa

from hashdb.errors import ImportRejected
from hashdb.exchange import ExchangeFormat
from hashdb.exchange.columnar import read_plain
from hashdb.exchange.transfer import ANALYZE_AFTER
from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store.models import ChangeKind
from hashdb.store.plain_import import first_in_hash_order


def _hex(seed: int, digits: int = 64) -> str:
    return hashlib.sha256(seed.to_bytes(4, "big")).hexdigest()[:digits]


def _service(url: str) -> HashDB:
    return HashDB(Settings(db=url, refresh_interval=0))


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


#: Rows with everything a plain file can hold: duplicates (the first label stays), upper-case
#: hex, three algorithms, several lists, empty cells, and labels that need CSV quoting.
_TRICKY = [
    ["pdq", _hex(1), "group a", "", "block"],
    ["pdq", _hex(2).upper(), 'has "quotes", commas', "a note", "block"],
    ["pdq", _hex(1), "duplicate: not kept", "", "block"],
    ["md5", _hex(3, 32), "", "line\nbreak", "block"],
    ["phash", _hex(4, 16), "ünïcode ✓", "", "review"],
    ["pdq", _hex(1), "same hash, other list", "", "review"],
    ["pdq", _hex(5), "group a", "", "block"],
]


def _entries(service: HashDB) -> list[tuple[str | None, ...]]:
    """Every entry as (list, algorithm, hash, label, note), sorted."""
    return sorted(
        (entry.list_name, entry.algorithm, entry.hex, entry.label, entry.note)
        for entry in service.store.export_entries(None, None)
    )


def _own_items(service: HashDB, lists: set[str]) -> list[tuple[object, ...]]:
    """Each entry of ``lists`` with what its item holds, sorted: every imported row is an
    item of its own (a raw hash) on the entry's list, made when the entry was."""
    entries = [e for e in service.store.export_entries(None, None) if e.list_name in lists]
    items = service.store.get_items([entry.item_id for entry in entries if entry.item_id])
    assert {entry.item_id for entry in entries} == set(items)
    return sorted(
        (
            entry.algorithm,
            entry.hex,
            item.kind.value,
            [hash_.id for hash_ in item.entries] == [entry.id],
            item.list_id == entry.list_id,
            item.created_at == entry.added_at,
            item.organisation == entry.organisation,
            item.live,
        )
        for entry in entries
        for item in [items[entry.item_id or 0]]
    )


def test_a_plain_file_is_read_a_column_at_a_time() -> None:
    text = _csv([["algorithm", "hash", "label", "note", "list"], *_TRICKY])
    plain = read_plain(text, ExchangeFormat.CSV, force=False, by_list=True)
    assert plain is not None and plain.rows == len(_TRICKY)
    assert sorted(plain.lists) == ["block", "review"]
    block = {batch.algorithm: batch for batch in plain.lists["block"]}
    pdq = block["pdq"]
    assert [bytes(row).hex() for row in pdq.hashes] == [_hex(1), _hex(2), _hex(1), _hex(5)]
    assert [pdq.variants[code] for code in pdq.variant_of] == [
        {"label": "group a"},
        {"label": 'has "quotes", commas', "note": "a note"},
        {"label": "duplicate: not kept"},
        {"label": "group a"},
    ]
    md5 = block["md5"]
    assert md5.variants[md5.variant_of[0]] == {"note": "line\nbreak"}


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("algorithm,hash,quality", f"pdq,{_hex(1)},90"),  # another column
        ("algorithm,hash", f"PDQ,{_hex(1)}"),  # a name the row reader normalises
        ("algorithm,hash", f"pdq,{_hex(1)[:-1]}"),  # short
        ("algorithm,hash", f"pdq,{_hex(1)[:-1]}g"),  # not hex
        ("algorithm,hash", f"pdq,{_hex(1)[:-2]} 0"),  # a space inside
        ("algorithm,hash", f"pdq,{'f' * 64}"),  # degenerate
        ("algorithm,hash", f"vpdq,{_hex(1)}"),  # video: needs frames
        ("algorithm,hash", "pdq,"),  # missing hash
        ("algorithm,hash", f"pdq,{_hex(1)},extra"),  # another width
    ],
)
def test_anything_not_plain_and_valid_goes_to_the_row_reader(header: str, row: str) -> None:
    text = (
        f"{header}\npdq,{_hex(7)}\n{row}\n" if header == "algorithm,hash" else f"{header}\n{row}\n"
    )
    assert read_plain(text, ExchangeFormat.CSV, force=False, by_list=False) is None


def test_a_forced_import_takes_degenerate_hashes_column_wise() -> None:
    text = f"algorithm,hash\npdq,{'0' * 64}\n"
    assert read_plain(text, ExchangeFormat.CSV, force=True, by_list=False) is not None


def test_first_in_hash_order_keeps_the_first_of_equal_hashes() -> None:
    rows = [b"\x02" * 8, b"\x01" * 8, b"\x02" * 8, b"\x01" + b"\x00" * 7, b"\x01" * 8]
    hashes = _matrix(rows)
    assert first_in_hash_order(hashes).tolist() == [3, 1, 0]
    # Equal first words: the whole hash decides.
    tied = _matrix([b"\x00" * 8 + b"\x02", b"\x00" * 8 + b"\x01", b"\x00" * 8 + b"\x02"])
    assert first_in_hash_order(tied).tolist() == [1, 0]


def _matrix(rows: list[bytes]) -> object:
    import numpy as np

    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), -1)


def test_column_and_row_imports_write_the_same_entries(db_url: str) -> None:
    """The same rows through both paths (an empty ``source`` column sends the second file to
    the row reader; its lists are suffixed) give the same entries, counts and change feed, on
    top of an entry already there."""
    plain = _csv([["algorithm", "hash", "label", "note", "list"], *_TRICKY])
    rowwise = _csv(
        [
            ["algorithm", "hash", "label", "note", "list", "source"],
            *[[*row[:4], f"{row[4]}-rows", ""] for row in _TRICKY],
        ]
    )
    assert read_plain(plain, ExchangeFormat.CSV, force=False, by_list=True) is not None
    assert read_plain(rowwise, ExchangeFormat.CSV, force=False, by_list=True) is None
    service = _service(db_url)
    outcomes = []
    for text, suffix in ((plain, ""), (rowwise, "-rows")):
        service.adding.hex(
            f"block{suffix}",
            "pdq",
            [_hex(5)],
            EntryMetadata(label="already there"),
            principal=LOCAL_OPERATOR,
        )
        before = service.store.current_seq()
        report = service.exchange.import_stream(
            io.StringIO(text), ExchangeFormat.CSV, list_name=None, principal=LOCAL_OPERATOR
        )
        added = [c for c in service.store.changes_since(before) if c.kind is ChangeKind.ADD]
        entries = [
            (name.removesuffix(suffix), *rest)
            for name, *rest in _entries(service)
            if name is not None and name.endswith(suffix) and (suffix or "-rows" not in name)
        ]
        new = {
            hex_ for _list, _algorithm, hex_, label, _note in entries if label != "already there"
        }
        assert len(added) == report.total("created") == 5
        assert {change.value.hex() for change in added if change.value} == new
        lists = {
            name.removesuffix(suffix): counts for name, counts in report.to_dict()["lists"].items()
        }
        items = _own_items(service, {f"block{suffix}", f"review{suffix}"})
        assert all(item[2:] == ("hash", True, True, True, True, True) for item in items)
        outcomes.append((entries, report.rows, lists, items))
    assert outcomes[0] == outcomes[1]
    service.close()


def test_te_files_are_read_a_column_at_a_time(db_url: str) -> None:
    service = _service(db_url)
    text = (
        "signal_type,signal,tags\n"
        f"pdq,{_hex(1)},  terror   logo \n"
        f"photo_md5,{_hex(2, 32)},\n"
        f" PDQ ,{_hex(3)},logo\n"
    )
    assert read_plain(text, ExchangeFormat.TE, force=False, by_list=False) is not None
    report = service.exchange.import_stream(
        io.StringIO(text), ExchangeFormat.TE, list_name="hma", principal=LOCAL_OPERATOR
    )
    assert report.total("created") == 3
    assert _entries(service) == sorted(
        [
            ("hma", "pdq", _hex(1), "terror logo", None),
            ("hma", "md5", _hex(2, 32), None, None),
            ("hma", "pdq", _hex(3), "logo", None),
        ]
    )
    service.close()


def test_a_bad_row_in_a_big_file_is_reported_at_its_line(db_url: str) -> None:
    rows = [f"pdq,{_hex(seed)}" for seed in range(1, 3001)]
    rows[2499] = "pdq,nothex"
    text = "algorithm,hash\n" + "\n".join(rows) + "\n"
    service = _service(db_url)
    with pytest.raises(ImportRejected, match="line 2501"):
        service.exchange.import_stream(
            io.StringIO(text), ExchangeFormat.CSV, list_name="l", principal=LOCAL_OPERATOR
        )
    assert service.store.lists() == []
    report = service.exchange.import_stream(
        io.StringIO(text),
        ExchangeFormat.CSV,
        list_name="l",
        skip_bad=True,
        principal=LOCAL_OPERATOR,
    )
    assert (report.total("created"), [e.line for e in report.errors]) == (2999, [2501])
    service.close()


def test_a_row_naming_no_list_is_reported(db_url: str) -> None:
    text = f"algorithm,hash,list\npdq,{_hex(1)},a\npdq,{_hex(2)},\n"
    service = _service(db_url)
    with pytest.raises(ImportRejected, match="line 3: no list"):
        service.exchange.import_stream(
            io.StringIO(text), ExchangeFormat.CSV, list_name=None, principal=LOCAL_OPERATOR
        )
    service.close()


def test_a_bulk_load_refreshes_the_planner_statistics(db_url: str) -> None:
    rows = "".join(f"pdq,{_hex(seed)}\n" for seed in range(1, ANALYZE_AFTER + 1))
    service = _service(db_url)
    service.exchange.import_stream(
        io.StringIO("algorithm,hash\n" + rows),
        ExchangeFormat.CSV,
        list_name="l",
        principal=LOCAL_OPERATOR,
    )
    with service.store.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            sized = connection.execute(
                sa.text(
                    "SELECT relname, reltuples FROM pg_class WHERE relname IN ('entries', "
                    "'changes') AND relnamespace = to_regnamespace(current_schema())"
                )
            ).all()
        else:  # each row's stat starts with the table's (sampled) row count
            sized = connection.execute(
                sa.text(
                    "SELECT tbl, max(CAST(stat AS INTEGER)) FROM sqlite_stat1 "
                    "WHERE tbl IN ('entries', 'changes') GROUP BY tbl"
                )
            ).all()
    assert {name: count >= ANALYZE_AFTER // 2 for name, count in sized} == {
        "entries": True,
        "changes": True,
    }
    service.close()
