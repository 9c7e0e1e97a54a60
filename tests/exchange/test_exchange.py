"""Bulk import and export: round trips, bad rows, idempotence and --since sync, both backends."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hashdb.errors import ImportRejected, UsageError
from hashdb.exchange import ExchangeFormat, detect_format
from hashdb.hashing import Digest
from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store.models import ListAction, MatchingMode, NewList, Sharing
from hashdb.testing.videos import Slideshow, mp4, window
from tools.cli import app


def _pdq(seed: int) -> str:
    return hashlib.sha256(seed.to_bytes(4, "big")).hexdigest()


@pytest.fixture
def second_url(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend as ``db_url``."""
    if "://" not in db_url:
        yield str(tmp_path / "copy.sqlite")
        return
    server = request.getfixturevalue("postgres_server")
    schema = f"hashdb_copy_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{server}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _service(url: str) -> HashDB:
    return HashDB(Settings(db=url, refresh_interval=0))


def _populate(service: HashDB) -> None:
    meta = EntryMetadata(label="group-a", note="beheading video", added_by="ana")
    service.adding.hex(
        "block", "pdq", [_pdq(i) for i in range(1, 30)], meta, principal=LOCAL_OPERATOR
    )
    service.adding.hex(
        "block",
        "md5",
        ["00112233445566778899aabbccddeeff"],
        EntryMetadata(),
        principal=LOCAL_OPERATOR,
    )
    service.adding.hex(
        "review",
        "pdq",
        [_pdq(1), _pdq(99)],
        EntryMetadata(note='has "quotes", commas'),
        principal=LOCAL_OPERATOR,
    )
    first = service.store.get_list("block")
    entries = {e.hex: e for e in service.store.export_entries([first.id], None)}
    service.entries.retire(entries[_pdq(3)].id, "news footage", "ben", principal=LOCAL_OPERATOR)
    retired = service.entries.retire(
        entries[_pdq(4)].id, "counter-speech", "ben", principal=LOCAL_OPERATOR
    )
    service.adding.hex(
        "block", "pdq", [_pdq(4)], EntryMetadata(label="re-added"), principal=LOCAL_OPERATOR
    )  # again, later
    assert retired.retired_at is not None


def _snapshot(service: HashDB) -> dict[str, Any]:
    """Everything an export says about the lists, without the database's own entry and item
    ids."""
    out = io.StringIO()
    service.exchange.export(out, ExchangeFormat.JSONL, principal=LOCAL_OPERATOR)
    by_list: dict[str, list[dict[str, Any]]] = {}
    definitions: list[dict[str, Any]] = []
    for line in out.getvalue().splitlines():
        record = json.loads(line)
        if "record" in record:
            definitions.append(record)
            continue
        del record["entry_id"], record["item_id"]
        by_list.setdefault(record["list"], []).append(record)
    return {
        "entries": {name: sorted(rows, key=json.dumps) for name, rows in by_list.items()},
        "definitions": sorted(definitions, key=json.dumps),
    }


def _define_lists(service: HashDB) -> None:
    """Lists whose settings differ from the defaults in every way an import could lose."""
    service.labels.add_terms(
        "type", ["logo", "recruitment"], "content type", principal=LOCAL_OPERATOR
    )
    service.labels.add_terms("severity", ["high"], principal=LOCAL_OPERATOR)
    service.organisations.create("org-a", principal=LOCAL_OPERATOR)
    service.lists.update(
        "block", action=ListAction.BLOCK, thresholds={"pdq": 28, "md5": 0}, principal=LOCAL_OPERATOR
    )
    service.lists.update(
        "review",
        action=ListAction.REVIEW,
        description="near misses go here",
        matching_mode=MatchingMode.HASH,
        principal=LOCAL_OPERATOR,
    )
    service.sharing.update(
        "review",
        owner="org-a",
        sharing=Sharing.PRIVATE,
        review_radius={"pdq": 60},
        principal=LOCAL_OPERATOR,
    )
    service.lists.create(
        NewList("news", "known news footage", ListAction.ALLOW), principal=LOCAL_OPERATOR
    )
    service.adding.hex(
        "news",
        "pdq",
        [_pdq(500)],
        EntryMetadata(labels=("type:logo", "severity:high")),
        principal=LOCAL_OPERATOR,
    )
    service.adding.hex(
        "block",
        "pdq",
        [_pdq(500)],
        EntryMetadata(note="also on the block list"),
        principal=LOCAL_OPERATOR,
    )
    service.lists.set_video_rule("block", 0.5, 0.25, principal=LOCAL_OPERATOR)


def _fresh_copy(source: HashDB, copy: HashDB, fmt: ExchangeFormat) -> tuple[str, Any]:
    dump = io.StringIO()
    source.exchange.export(dump, fmt, principal=LOCAL_OPERATOR)
    return dump.getvalue(), copy.exchange.import_stream(
        io.StringIO(dump.getvalue()), fmt, list_name=None, principal=LOCAL_OPERATOR
    )


@pytest.mark.parametrize("fmt", [ExchangeFormat.JSONL, ExchangeFormat.CSV])
def test_export_then_import_into_a_fresh_database_reproduces_every_entry(
    db_url: str, second_url: str, fmt: ExchangeFormat
) -> None:
    source, copy = _service(db_url), _service(second_url)
    _populate(source)
    text, report = _fresh_copy(source, copy, fmt)
    assert (report.total("created"), report.total("history")) == (31, 2)
    assert _snapshot(copy)["entries"] == _snapshot(source)["entries"]
    # Idempotent: the same file again changes nothing.
    again = copy.exchange.import_stream(
        io.StringIO(text), fmt, list_name=None, principal=LOCAL_OPERATOR
    )
    assert (again.total("created"), again.total("retired"), again.total("existing")) == (0, 0, 33)
    assert _snapshot(copy)["entries"] == _snapshot(source)["entries"]
    # The imported entries match, retired ones do not.
    matches = copy.matching.digests(
        [Digest("pdq", bytes.fromhex(_pdq(5)))], principal=LOCAL_OPERATOR
    ).matches
    assert {m.list for m in matches if m.distance == 0} == {"block"}
    assert not [
        m
        for m in copy.matching.digests(
            [Digest("pdq", bytes.fromhex(_pdq(3)))], principal=LOCAL_OPERATOR
        ).matches
        if m.distance == 0
    ]
    source.close()
    copy.close()


def test_jsonl_export_then_import_reproduces_every_list_definition(
    db_url: str, second_url: str
) -> None:
    source, copy = _service(db_url), _service(second_url)
    _populate(source)
    _define_lists(source)
    text, report = _fresh_copy(source, copy, ExchangeFormat.JSONL)
    assert sorted(report.definitions.lists_created) == ["block", "news", "review"]
    assert len(report.definitions.vocabulary_added) == 3
    assert _snapshot(copy) == _snapshot(source)
    review = copy.sharing.settings("review", principal=LOCAL_OPERATOR)
    assert (review.owner, review.sharing, review.review_radius) == (
        "org-a",
        Sharing.PRIVATE,
        {"pdq": 60},
    )
    assert copy.lists.get("news", principal=LOCAL_OPERATOR).action is ListAction.ALLOW
    assert copy.lists.get("review", principal=LOCAL_OPERATOR).matching_mode is MatchingMode.HASH
    assert copy.lists.get("news", principal=LOCAL_OPERATOR).matching_mode is MatchingMode.ROBUST
    assert copy.lists.get("block", principal=LOCAL_OPERATOR).thresholds == {"pdq": 28, "md5": 0}
    assert copy.lists.video_rule("block", principal=LOCAL_OPERATOR) == source.lists.video_rule(
        "block", LOCAL_OPERATOR
    )
    # The allow list works in the copy as it did in the source.
    allowed = copy.matching.digests(
        [Digest("pdq", bytes.fromhex(_pdq(500)))], principal=LOCAL_OPERATOR
    )
    assert ([m.list for m in allowed.allowed_by], allowed.matches) == (["news"], [])
    # Importing again changes nothing and records nothing more in the audit log.
    audited = len(copy.audit.records(limit=10_000, principal=LOCAL_OPERATOR))
    again = copy.exchange.import_stream(
        io.StringIO(text), ExchangeFormat.JSONL, list_name=None, principal=LOCAL_OPERATOR
    )
    assert (again.definitions.lists_created, again.definitions.lists_updated) == ([], [])
    assert len(copy.audit.records(limit=10_000, principal=LOCAL_OPERATOR)) == audited
    # A settings change in the source travels with the next --since export.
    mark = datetime.now(UTC)
    source.sharing.update("review", sharing=Sharing.SHARED_WRITE, principal=LOCAL_OPERATOR)
    delta = io.StringIO()
    source.exchange.export(delta, ExchangeFormat.JSONL, since=mark, principal=LOCAL_OPERATOR)
    synced = copy.exchange.import_stream(
        io.StringIO(delta.getvalue()),
        ExchangeFormat.JSONL,
        list_name=None,
        principal=LOCAL_OPERATOR,
    )
    assert synced.definitions.lists_updated == ["review"]
    assert copy.sharing.settings("review", principal=LOCAL_OPERATOR).sharing is Sharing.SHARED_WRITE
    (change,) = [
        r
        for r in copy.audit.records(target_type="list", principal=LOCAL_OPERATOR)
        if r.action == "list.update"
    ]
    assert change.before is not None and change.before["sharing"] == "private"
    source.close()
    copy.close()


@pytest.mark.parametrize("fmt", [ExchangeFormat.JSONL, ExchangeFormat.CSV])
def test_a_video_entry_travels_with_its_frames(
    db_url: str, second_url: str, fmt: ExchangeFormat
) -> None:
    source, copy = _service(db_url), _service(second_url)
    clip = Slideshow(5, size=(320, 180), slides=2, slide_seconds=2.0)
    source.adding.media(
        "videos", mp4(clip.frames(), clip.fps), EntryMetadata(note="clip"), principal=LOCAL_OPERATOR
    )
    _text, report = _fresh_copy(source, copy, fmt)
    assert report.skipped == 0
    assert _snapshot(copy)["entries"] == _snapshot(source)["entries"]
    (video,) = [e for e in copy.store.export_entries(None, None) if e.algorithm == "vpdq"]
    assert len(copy.store.video_frames([video.id])[video.id]) >= 2
    result = copy.matching.media(mp4(window(clip, 0.5, 3.5), clip.fps), principal=LOCAL_OPERATOR)
    assert "vpdq" in {m.algorithm for m in result.matches}
    source.close()
    copy.close()


def test_a_video_entry_whose_frames_do_not_fit_its_hash_is_refused(db_url: str) -> None:
    service = _service(db_url)
    frames = [{"timestamp": 0.0, "hash": _pdq(1), "quality": 90}]
    lines = [
        {"algorithm": "vpdq", "hash": _pdq(2), "frames": frames},  # not their fingerprint
        {"algorithm": "vpdq", "hash": _pdq(2)},  # no frames
        {"algorithm": "vpdq", "hash": _pdq(2), "frames": [{"timestamp": 0, "hash": "zz"}]},
        {"algorithm": "pdq", "hash": _pdq(3), "frames": frames},  # frames on a still
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    with pytest.raises(ImportRejected) as caught:
        service.exchange.import_stream(
            io.StringIO(text), ExchangeFormat.JSONL, list_name="v", principal=LOCAL_OPERATOR
        )
    assert [error["line"] for error in caught.value.details["errors"]] == [1, 2, 3, 4]
    assert service.store.lists() == []
    service.close()


def test_since_export_carries_retirements_to_another_deployment(
    db_url: str, second_url: str
) -> None:
    source, copy = _service(db_url), _service(second_url)
    _populate(source)
    full = io.StringIO()
    source.exchange.export(full, ExchangeFormat.JSONL, principal=LOCAL_OPERATOR)
    copy.exchange.import_stream(
        io.StringIO(full.getvalue()), ExchangeFormat.JSONL, list_name=None, principal=LOCAL_OPERATOR
    )
    assert copy.matching.digests(
        [Digest("pdq", bytes.fromhex(_pdq(7)))], principal=LOCAL_OPERATOR
    ).matches
    mark = datetime.now(UTC)
    hash_list = source.store.get_list("block")
    entries = list(source.store.export_entries([hash_list.id], None))
    target = next(e for e in entries if e.hex == _pdq(7))
    source.entries.retire(target.id, "false positive", "ana", principal=LOCAL_OPERATOR)
    source.adding.hex(
        "block", "pdq", [_pdq(200)], EntryMetadata(label="new"), principal=LOCAL_OPERATOR
    )
    delta = io.StringIO()
    assert (
        source.exchange.export(delta, ExchangeFormat.JSONL, since=mark, principal=LOCAL_OPERATOR)
        == 2
    )
    report = copy.exchange.import_stream(
        io.StringIO(delta.getvalue()),
        ExchangeFormat.JSONL,
        list_name=None,
        principal=LOCAL_OPERATOR,
    )
    assert (report.total("created"), report.total("retired")) == (1, 1)
    assert _snapshot(copy) == _snapshot(source)
    exact = [
        m
        for m in copy.matching.digests(
            [Digest("pdq", bytes.fromhex(_pdq(7)))], principal=LOCAL_OPERATOR
        ).matches
        if m.distance == 0
    ]
    assert exact == []
    again = copy.exchange.import_stream(
        io.StringIO(delta.getvalue()),
        ExchangeFormat.JSONL,
        list_name=None,
        principal=LOCAL_OPERATOR,
    )
    assert (again.total("created"), again.total("retired")) == (0, 0)
    source.close()
    copy.close()


def test_bad_rows_abort_the_whole_import_or_are_skipped_with_line_numbers(db_url: str) -> None:
    service = _service(db_url)
    text = (
        "algorithm,hash,label,note,quality,added_at\n"
        f"pdq,{_pdq(1)},a,,90,\n"
        "pdq,abc,a,,,\n"  # too short
        f"sha1,{_pdq(2)},,,,\n"  # unknown algorithm
        f"pdq,{_pdq(3)},,,ninety,\n"  # not an int
        f"pdq,{'0' * 64},,,,\n"  # degenerate
        f"pdq,{_pdq(4)},,,,yesterday\n"  # not a time
        f"pdq,{_pdq(5)},b,note\n"  # wrong field count
    )
    with pytest.raises(ImportRejected) as caught:
        service.exchange.import_stream(
            io.StringIO(text), ExchangeFormat.CSV, list_name="l", principal=LOCAL_OPERATOR
        )
    lines = [error["line"] for error in caught.value.details["errors"]]
    assert lines == [3, 4, 5, 6, 7, 8]
    assert service.store.lists() == []  # nothing half-applied
    report = service.exchange.import_stream(
        io.StringIO(text),
        ExchangeFormat.CSV,
        list_name="l",
        skip_bad=True,
        principal=LOCAL_OPERATOR,
    )
    assert (report.total("created"), report.skipped) == (1, 6)
    assert [error.line for error in report.errors] == [3, 4, 5, 6, 7, 8]
    assert service.store.count_entries(service.store.get_list("l").id) == 1
    service.close()


def test_csv_header_must_name_known_columns(db_url: str) -> None:
    service = _service(db_url)
    for header in ("hash,label", "algorithm,hash,colour"):
        with pytest.raises(ImportRejected, match="line 1"):
            service.exchange.import_stream(
                io.StringIO(f"{header}\npdq,{_pdq(1)},x\n"),
                ExchangeFormat.CSV,
                list_name="l",
                principal=LOCAL_OPERATOR,
            )
    service.close()


def test_jsonl_rows_keep_every_field_and_report_bad_lines(db_url: str) -> None:
    service = _service(db_url)
    added = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    lines = [
        json.dumps(
            {
                "algorithm": "pdq",
                "hash": _pdq(1),
                "label": "x",
                "quality": 88,
                "added_by": "org-a",
                "added_at": added.isoformat(),
                "source_sha256": "ab" * 32,
            }
        ),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"algorithm": "pdq", "hash": _pdq(2), "shape": "round"}),
        json.dumps({"algorithm": "pdq", "hash": _pdq(3), "retired_at": added.isoformat()}),
    ]
    report = service.exchange.import_stream(
        io.StringIO("\n".join(lines)),
        ExchangeFormat.JSONL,
        list_name="l",
        skip_bad=True,
        principal=LOCAL_OPERATOR,
    )
    assert [(e.line, e.message.split(":")[0]) for e in report.errors] == [
        (2, "not valid JSON"),
        (3, "each line must be a JSON object"),
        (4, "unknown field(s) shape"),
        (5, "a retired entry needs a retired_reason"),
    ]
    (entry,) = list(service.store.export_entries(None, None))
    assert (entry.quality, entry.added_by, entry.added_at, entry.source_sha256) == (
        88,
        "org-a",
        added,
        "ab" * 32,
    )
    service.close()


def test_threatexchange_csv_round_trip(db_url: str) -> None:
    service = _service(db_url)
    service.adding.hex(
        "block",
        "pdq",
        [_pdq(1), _pdq(2)],
        EntryMetadata(label="tag_a tag_b"),
        principal=LOCAL_OPERATOR,
    )
    service.adding.hex(
        "block",
        "md5",
        ["00112233445566778899aabbccddeeff"],
        EntryMetadata(),
        principal=LOCAL_OPERATOR,
    )
    out = io.StringIO()
    assert service.exchange.export(out, ExchangeFormat.TE, principal=LOCAL_OPERATOR) == 3
    rows = out.getvalue().splitlines()
    assert rows[0] == "signal_type,signal,tags"
    assert f"pdq,{_pdq(1)},tag_a tag_b" in rows
    assert "photo_md5,00112233445566778899aabbccddeeff," in rows
    report = service.exchange.import_stream(
        io.StringIO(out.getvalue()), ExchangeFormat.TE, list_name="copy", principal=LOCAL_OPERATOR
    )
    assert report.total("created") == 3
    copied = {
        e.hex: e.label
        for e in service.store.export_entries([service.store.get_list("copy").id], None)
    }
    assert copied[_pdq(2)] == "tag_a tag_b"
    service.close()


def test_format_comes_from_the_extension_or_the_flag() -> None:
    assert detect_format(Path("a.csv"), None) is ExchangeFormat.CSV
    assert detect_format(Path("a.JSONL"), None) is ExchangeFormat.JSONL
    assert detect_format(Path("a.txt"), "te") is ExchangeFormat.TE
    with pytest.raises(UsageError):
        detect_format(Path("a.txt"), None)
    with pytest.raises(UsageError):
        detect_format(None, "xml")


def test_cli_import_and_export(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.sqlite")
    source = tmp_path / "in.csv"
    source.write_text(f"algorithm,hash,label\npdq,{_pdq(1)},x\npdq,{_pdq(2)},y\n")
    result = runner.invoke(app, ["--db", db, "import", "--list", "l", str(source), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 2
    result = runner.invoke(app, ["--db", db, "export", "--list", "l", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("algorithm,hash,label,note,")
    target = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["--db", db, "export", "--output", str(target)])
    assert result.exit_code == 0
    first, *entries = [json.loads(line) for line in target.read_text().splitlines()]
    assert (first["record"], first["name"], len(entries)) == ("list", "l", 2)
    result = runner.invoke(app, ["--db", db, "export", "--entries-only", "-o", str(target)])
    assert result.exit_code == 0
    assert {json.loads(line)["hash"] for line in target.read_text().splitlines()} == {
        _pdq(1),
        _pdq(2),
    }
    bad = tmp_path / "bad.csv"
    bad.write_text(f"algorithm,hash\npdq,{_pdq(3)}\npdq,zz\n")
    result = runner.invoke(app, ["--db", db, "import", "--list", "l", str(bad)])
    assert result.exit_code == 1
    assert "line 3" in result.stderr
    result = runner.invoke(app, ["--db", db, "export", "--since", "yesterday"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["--db", db, "import", "--list", "l", str(tmp_path / "no.csv")])
    assert result.exit_code == 1
    assert "no such file" in result.stderr


@pytest.mark.parametrize("fmt", [ExchangeFormat.JSONL, ExchangeFormat.CSV])
def test_labels_travel_and_are_checked_against_the_receiving_vocabulary(
    db_url: str, second_url: str, fmt: ExchangeFormat
) -> None:
    source, target = _service(db_url), _service(second_url)
    try:
        source.labels.add_terms("type", ["logo", "recruitment"], principal=LOCAL_OPERATOR)
        meta = EntryMetadata(labels=("type:logo", "type:recruitment"))
        source.adding.hex("block", "pdq", [_pdq(7)], meta, principal=LOCAL_OPERATOR)
        buffer = io.StringIO()
        source.exchange.export(buffer, fmt, definitions=False, principal=LOCAL_OPERATOR)
        with pytest.raises(ImportRejected, match="type:logo"):
            target.exchange.import_stream(
                io.StringIO(buffer.getvalue()), fmt, list_name=None, principal=LOCAL_OPERATOR
            )
        assert target.store.lists() == []  # nothing half-applied
        target.labels.add_terms("type", ["logo", "recruitment"], principal=LOCAL_OPERATOR)
        target.exchange.import_stream(
            io.StringIO(buffer.getvalue()), fmt, list_name=None, principal=LOCAL_OPERATOR
        )
        (entry,) = target.store.export_entries(None, None)
        assert entry.labels == ("type:logo", "type:recruitment")
    finally:
        source.close()
        target.close()


def test_a_jsonl_export_brings_its_vocabulary_along(db_url: str, second_url: str) -> None:
    source, target = _service(db_url), _service(second_url)
    source.labels.add_terms("type", ["logo"], "a group's logo", principal=LOCAL_OPERATOR)
    source.adding.hex(
        "block", "pdq", [_pdq(7)], EntryMetadata(labels=("type:logo",)), principal=LOCAL_OPERATOR
    )
    buffer = io.StringIO()
    source.exchange.export(buffer, ExchangeFormat.JSONL, principal=LOCAL_OPERATOR)
    report = target.exchange.import_stream(
        io.StringIO(buffer.getvalue()),
        ExchangeFormat.JSONL,
        list_name=None,
        principal=LOCAL_OPERATOR,
    )
    assert report.definitions.vocabulary_added == ["type:logo"]
    assert [
        (t.label, t.description) for t in target.labels.vocabulary(principal=LOCAL_OPERATOR)
    ] == [("type:logo", "a group's logo")]
    (entry,) = target.store.export_entries(None, None)
    assert entry.labels == ("type:logo",)
    source.close()
    target.close()


def test_import_into_a_named_list_takes_the_one_definition_in_the_file(db_url: str) -> None:
    service = _service(db_url)
    service.lists.create(
        NewList("news", "news footage", ListAction.ALLOW), principal=LOCAL_OPERATOR
    )
    service.adding.hex("news", "pdq", [_pdq(1)], EntryMetadata(), principal=LOCAL_OPERATOR)
    buffer = io.StringIO()
    service.exchange.export(buffer, ExchangeFormat.JSONL, lists=["news"], principal=LOCAL_OPERATOR)
    report = service.exchange.import_stream(
        io.StringIO(buffer.getvalue()),
        ExchangeFormat.JSONL,
        list_name="news-copy",
        principal=LOCAL_OPERATOR,
    )
    assert report.definitions.lists_created == ["news-copy"]
    copied = service.lists.get("news-copy", principal=LOCAL_OPERATOR)
    assert (copied.action, copied.description) == (ListAction.ALLOW, "news footage")
    (audit,) = [r for r in service.audit.records(target_type="import", principal=LOCAL_OPERATOR)]
    assert audit.after is not None and audit.after["created"] == 1
    service.close()


def test_a_definition_carries_the_matching_mode_and_one_without_keeps_it(db_url: str) -> None:
    service = _service(db_url)

    def define(**fields: Any) -> Any:
        line = json.dumps({"record": "list", "name": "partner", **fields})
        return service.exchange.import_stream(
            io.StringIO(line), ExchangeFormat.JSONL, list_name=None, principal=LOCAL_OPERATOR
        ).definitions

    assert define(matching_mode="exact").lists_created == ["partner"]
    assert service.lists.get("partner", LOCAL_OPERATOR).matching_mode is MatchingMode.EXACT
    # A file written before lists had modes says nothing: the list keeps its own.
    assert define().lists_updated == []
    assert service.lists.get("partner", LOCAL_OPERATOR).matching_mode is MatchingMode.EXACT
    assert define(matching_mode="hash").lists_updated == ["partner"]
    assert service.lists.get("partner", LOCAL_OPERATOR).matching_mode is MatchingMode.HASH
    buffer = io.StringIO()
    service.exchange.export(buffer, ExchangeFormat.JSONL, principal=LOCAL_OPERATOR)
    (record,) = [json.loads(line) for line in buffer.getvalue().splitlines() if '"list"' in line]
    assert record["matching_mode"] == "hash"
    service.close()


def test_bad_definition_lines_are_reported_like_bad_rows(db_url: str) -> None:
    service = _service(db_url)
    lines = [
        {"record": "list", "name": "x", "action": "delete-everything"},
        {"record": "list", "name": "x", "matching_mode": "geometric-only"},
        {"record": "list", "name": "x", "thresholds": {"sha1": 3}},
        {"record": "vocabulary", "label": "no colon"},
        {"record": "team", "name": "x"},
        {"algorithm": "pdq", "hash": _pdq(1), "list": "x"},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    with pytest.raises(ImportRejected) as caught:
        service.exchange.import_stream(
            io.StringIO(text), ExchangeFormat.JSONL, list_name=None, principal=LOCAL_OPERATOR
        )
    assert [error["line"] for error in caught.value.details["errors"]] == [1, 2, 3, 4, 5]
    assert service.store.lists() == []
    service.close()
