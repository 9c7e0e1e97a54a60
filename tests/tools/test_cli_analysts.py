"""The analyst commands: orgs, labels, sharing flags, review queue, feedback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import ImageDraw
from typer.testing import CliRunner

from hashdb.hashing import get_algorithm
from hashdb.testing.images import encode, scene
from tools.cli import app


class Run:
    def __init__(self, db: str) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> tuple[int, str, str]:
        result = self.runner.invoke(app, ["--db", self.db, *map(str, args)])
        return result.exit_code, result.stdout, result.stderr

    def json(self, *args: str | Path) -> list[dict[str, object]]:
        code, out, err = self(*args)
        assert code == 0, err
        return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def run(db_url: str) -> Run:
    """The CLI on SQLite and on PostgreSQL."""
    return Run(db_url)


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    image = scene(1, (800, 600))
    banner = image.copy()
    draw = ImageDraw.Draw(banner)
    draw.rectangle([0, 450, 800, 600], fill=(200, 0, 0))
    draw.text((20, 480), "BREAKING NEWS", fill=(255, 255, 255))
    paths = {
        "known": (tmp_path / "known.jpg", encode(image, "JPEG", quality=90)),
        "thumb": (tmp_path / "thumb.jpg", encode(image.resize((160, 120)), "JPEG", quality=40)),
        "news": (tmp_path / "news.jpg", encode(banner, "JPEG", quality=85)),
    }
    for path, data in paths.values():
        path.write_bytes(data)
    return {name: path for name, (path, _) in paths.items()}


def _pdq_distance(run: Run, a: Path, b: Path) -> int:
    [first, second] = run.json("hash", "--json", "-a", "pdq", a, b)
    pdq = get_algorithm("pdq")
    hashes = [pdq.parse(str(row["hashes"]["pdq"])) for row in (first, second)]  # type: ignore[index]
    return hashes[0].distance(hashes[1])


def test_analyst_workflow(
    run: Run, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The review queue holds hash near-misses; the robust stages would match the captioned
    # news frame outright (tests/robust covers that), so this story runs on hashes alone.
    monkeypatch.setenv("HASHDB_ROBUST_MATCHING", "false")
    near = _pdq_distance(run, media["known"], media["news"])
    close = _pdq_distance(run, media["known"], media["thumb"])
    assert close <= 20 < near <= 45  # the generated media fits the thresholds below

    assert run.json("orgs", "add", "acme")[0]["name"] == "acme"
    assert run("orgs")[1].split() == ["acme"]
    run.json("labels", "add", "type", "logo", "execution")
    code, _, err = run("add", "--list", "x", media["known"], "--labels", "type:flag")
    assert code == 1 and "not in the label vocabulary" in err
    [created] = run.json(
        "create-list",
        "propaganda",
        "--owner",
        "acme",
        "--sharing",
        "shared-read",
        "--action",
        "review",
        "-t",
        "pdq=20",
        "--review-radius",
        "pdq=45",
    )
    assert (created["owner"], created["sharing"], created["review_radius"]) == (
        "acme",
        "shared-read",
        {"pdq": 45},
    )
    code, out, _ = run(
        "add",
        "--list",
        "propaganda",
        media["known"],
        "--labels",
        "type:logo",
        "--source",
        "https://example.org/114",
        "--organisation",
        "acme",
    )
    assert code == 0 and "(5 new)" in out

    [thumb] = run.json("match", "--json", media["thumb"])
    assert thumb["matched"] is True
    match = thumb["matches"][0]  # type: ignore[index]
    assert (match["labels"], match["organisation"], match["source"]) == (
        ["type:logo"],
        "acme",
        "https://example.org/114",
    )
    assert (
        run.json("match", "--json", "--labels", "type:execution", media["thumb"])[0]["matched"]
        is False
    )

    # The news frame is a near-miss: no match, one pending review item.
    assert run.json("match", "--json", media["news"])[0]["matched"] is False
    [item] = run.json("review", "list", "--json")
    assert (item["distance"], item["status"]) == (near, "pending")
    [allowed] = run.json("review", "allow", str(item["id"]), "--list", "news", "--note", "BBC")
    assert allowed["status"] == "allowed"
    code, out, _ = run("match", media["news"])
    assert code == 0 and "ALLOWED list=news" in out
    assert run.json("review", "list", "--json") == []
    code, _, err = run("review", "dismiss", str(item["id"]))
    assert code == 1 and "already allowed" in err
    code, _, err = run("review", "list", "--status", "maybe")
    assert code == 2 and "--status" in err

    entry_id = str(match["entry_id"])
    run.json("feedback", entry_id, "disagree", "--reason", "documentary")
    [summary] = run.json("feedback", entry_id)
    assert (summary["agree"], summary["disagree"]) == (0, 1)
    assert run.json("label", entry_id, "--add", "type:execution")[0]["labels"] == [
        "type:execution",
        "type:logo",
    ]
    [entry] = run.json("entry", "--json", entry_id)
    assert entry["feedback"] == {"agree": 0, "disagree": 1}
    assert entry["source"] == "https://example.org/114"
    code, out, _ = run("lists")
    assert "owner=acme shared-read" in out and "review:pdq<=45" in out


def test_analyst_commands_have_help(run: Run) -> None:
    for command in (
        ["orgs"],
        ["orgs", "add"],
        ["labels"],
        ["labels", "add"],
        ["labels", "remove"],
        ["label"],
        ["review"],
        ["review", "list"],
        ["review", "confirm"],
        ["review", "dismiss"],
        ["review", "allow"],
        ["review", "purge"],
        ["feedback"],
    ):
        code, out, _ = run(*command, "--help")
        assert code == 0 and len(out) > 80, command


def test_thumbnails_opt_in_and_purge(
    run: Run, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHDB_ROBUST_MATCHING", "false")
    [created] = run.json(
        "create-list",
        "kept",
        "--action",
        "review",
        "-t",
        "pdq=20",
        "--review-radius",
        "pdq=45",
        "--keep-thumbnails",
    )
    assert created["keep_thumbnails"] is True
    assert "thumbnails" in run("lists")[1]
    assert run("add", "--list", "kept", media["known"])[0] == 0
    assert run.json("match", "--json", media["news"])[0]["matched"] is False
    [item] = run.json("review", "list", "--json")
    assert run.json("review", "purge") == [{"deleted": 0, "retention_days": 30.0}]
    monkeypatch.setenv("HASHDB_THUMBNAIL_RETENTION_DAYS", "0")
    assert run.json("review", "purge") == [{"deleted": 1, "retention_days": 0.0}]
    [record] = run.json("audit", "--json", "--type", "thumbnails")
    assert record["action"] == "thumbnails.purge"
    assert run.json("review", "list", "--json") == [item]  # the near-miss stays, its hashes too
    [updated] = run.json("update-list", "kept", "--no-keep-thumbnails")
    assert updated["keep_thumbnails"] is False
