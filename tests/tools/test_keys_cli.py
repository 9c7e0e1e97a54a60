"""``hashdb keys`` and ``hashdb audit`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hashdb.service import HashDB
from hashdb.settings import Settings
from tools.cli import app


def _run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def test_keys_create_prints_the_key_alone_on_the_last_line(tmp_path: Path) -> None:
    db = str(tmp_path / "k.sqlite")
    code, out, _ = _run(db, "keys", "create", "--role", "analyst", "--name", "ana", "--org", "o")
    assert code == 0
    key = out.strip().splitlines()[-1]
    assert key.startswith("hdb_") and " " not in key
    service = HashDB(Settings(db=db))
    try:
        principal = service.keys.authenticate(key)
        assert (principal.name, principal.role.value, principal.organisation) == (
            "ana",
            "analyst",
            "o",
        )
    finally:
        service.close()

    code, out, _ = _run(db, "keys", "list", "--json")
    listed = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and listed[0]["name"] == "ana" and listed[0]["revoked_at"] is None
    assert key not in out

    code, out, _ = _run(db, "keys", "revoke", str(listed[0]["id"]))
    assert code == 0 and "revoked" in out
    code, _, err = _run(db, "keys", "revoke", str(listed[0]["id"]))
    assert code == 1 and "already revoked" in err
    code, _, err = _run(db, "keys", "revoke", "999")
    assert code == 1 and "no API key" in err
    code, _, _ = _run(db, "keys", "create", "--role", "boss", "--name", "x")
    assert code == 2


def test_cli_changes_are_audited(tmp_path: Path) -> None:
    db = str(tmp_path / "a.sqlite")
    assert _run(db, "create-list", "terror", "-t", "pdq=20")[0] == 0
    assert _run(db, "update-list", "terror", "--action", "review")[0] == 0
    assert _run(db, "add-hash", "--list", "terror", "-a", "md5", "1" * 32)[0] == 0
    code, out, _ = _run(db, "label", "1", "--label", "group-z")
    assert code == 0 and json.loads(out)["label"] == "group-z"
    assert _run(db, "label", "1")[0] == 2
    assert _run(db, "retire", "1", "--reason", "mistake")[0] == 0
    code, out, _ = _run(db, "audit", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    # A raw hash is an item of its own: its changes are recorded on the item and the entry.
    assert [r["action"] for r in records] == [
        "list.create",
        "list.update",
        "entry.add",
        "item.update",
        "entry.update",
        "item.retire",
        "entry.retire",
    ]
    update = records[1]
    assert update["before"]["action"] == "block" and update["after"]["action"] == "review"
    assert records[3]["after"]["label"] == "group-z" == records[4]["after"]["label"]
    retire = records[6]
    assert retire["before"]["retired_at"] is None
    assert retire["after"]["retired_reason"] == "mistake"
    assert records[5]["after"]["retired_reason"] == "mistake"
    code, out, _ = _run(db, "audit", "--type", "entry", "--target", "1")
    assert code == 0 and len(out.splitlines()) == 3 and "entry.retire" in out
    assert _run(db, "audit", "--since", "yesterday")[0] == 2
