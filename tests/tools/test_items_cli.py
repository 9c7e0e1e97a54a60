"""``hashdb retire``, ``label``, ``items``, ``item`` and ``restore`` act on items: the README's
retire example stops every hash of the retired file matching."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hashdb.testing.images import jpeg
from tools.cli import app


def _run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def _matched_algorithms(db: str, path: Path) -> set[str]:
    code, out, _ = _run(db, "match", "--json", str(path))
    assert code == 0, out
    return {match["algorithm"] for match in json.loads(out)["matches"]}


def test_retiring_the_pdq_entry_stops_the_same_file_matching_by_any_hash(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    picture = tmp_path / "stock.jpg"
    picture.write_bytes(jpeg(21))
    code, out, _ = _run(db, "add", "--list", "propaganda", "--json", str(picture))
    assert code == 0, out
    added = json.loads(out)["added"]
    pdq = next(a for a in added if a["algorithm"] == "pdq")
    assert _matched_algorithms(db, picture) >= {"pdq", "md5", "sha256"}

    code, out, err = _run(db, "retire", str(pdq["entry_id"]), "--reason", "a stock photo")
    assert code == 0, err
    assert _matched_algorithms(db, picture) == set()

    code, out, _ = _run(db, "item", str(pdq["item_id"]))
    assert code == 0 and "retired" in out and "a stock photo" in out
    assert out.count("\tretired\n") == len(added)  # each hash, retired with the item

    code, out, _ = _run(db, "restore", str(pdq["item_id"]))
    assert code == 0 and "live" in out
    assert _matched_algorithms(db, picture) >= {"pdq", "md5", "sha256"}
    assert _run(db, "restore", str(pdq["item_id"]))[0] == 1  # not retired: a conflict

    code, _, err = _run(
        db, "retire", str(pdq["entry_id"]), "--reason", "pdq collides", "--only-this-hash"
    )
    assert code == 0, err
    found = _matched_algorithms(db, picture)
    assert "pdq" not in found and {"md5", "sha256"} <= found

    code, out, _ = _run(db, "items", "--list", "propaganda", "--json")
    assert code == 0
    (item,) = [json.loads(line) for line in out.splitlines()]
    assert item["item_id"] == pdq["item_id"] and item["retired_at"] is None
    assert _run(db, "items", "--hash", "zz")[0] == 2
    assert _run(db, "item", "999")[0] == 1


def test_label_changes_every_hash_of_the_item_unless_told(tmp_path: Path) -> None:
    db = str(tmp_path / "l.sqlite")
    picture = tmp_path / "a.jpg"
    picture.write_bytes(jpeg(22))
    code, out, _ = _run(db, "add", "--list", "terror", "--json", str(picture))
    first, second, *_ = json.loads(out)["added"]
    assert _run(db, "label", str(first["entry_id"]), "--label", "group-x")[0] == 0
    code, out, _ = _run(db, "entry", str(second["entry_id"]), "--json")
    assert json.loads(out)["label"] == "group-x"
    code, _, _ = _run(db, "label", str(first["entry_id"]), "--note", "one", "--only-this-hash")
    assert code == 0
    code, out, _ = _run(db, "entry", str(second["entry_id"]), "--json")
    assert json.loads(out)["note"] is None
