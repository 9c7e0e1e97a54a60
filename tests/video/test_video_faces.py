"""Video through the faces: ``hashdb add``/``match``/``video-rule`` and ``POST /v1/match``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from api.app import create_app
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing.images import encode, jpeg
from hashdb.testing.videos import Slideshow, apply, captioned, mp4, window
from hashdb.testing.videos import encode as encode_video
from tools.cli import app

VIDEO = Slideshow(21, size=(256, 144), fps=10, slides=3, slide_seconds=2.0)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("faces")
    original = mp4(VIDEO.frames(), VIDEO.fps)
    matroska = encode_video(VIDEO.frames(), VIDEO.fps, container="matroska")
    contents = {
        "original.mp4": original,
        "clip.mp4": mp4(apply(window(VIDEO, 1.0, 5.0), captioned()), VIDEO.fps),
        "still.jpg": encode(Image.fromarray(VIDEO.frame_at(3.3)), "JPEG"),
        "broken.mp4": original[: len(original) // 3],
        # Matroska has its index up front: half a file still decodes, up to the cut.
        "partial.mkv": matroska[: len(matroska) // 2],
        "unrelated.mp4": mp4(Slideshow(22, size=(256, 144), fps=10, slides=2).frames(), 10),
    }
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in contents}


def _cli(db: Path, *args: str | Path) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, ["--db", str(db), *map(str, args)])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.stdout + result.stderr


def test_cli_add_and_match_videos_transparently(tmp_path: Path, files: dict[str, Path]) -> None:
    db = tmp_path / "cli.sqlite"
    code, (added,), _ = _cli(db, "add", files["original.mp4"], "--list", "t", "--json")
    assert code == 0
    assert [a["algorithm"] for a in added["added"]] == ["md5", "sha256", "vpdq"]  # type: ignore[index]

    code, lines, _ = _cli(
        db, "match", files["clip.mp4"], files["still.jpg"], files["unrelated.mp4"], "--json"
    )
    assert code == 0
    clip, still, unrelated = lines
    assert clip["media"]["kind"] == "video"  # type: ignore[index]
    (video_match,) = clip["matches"]  # type: ignore[misc]
    assert video_match["algorithm"] == "vpdq" and video_match["video"]["direction"] == "video"
    ranges = video_match["video"]["ranges"]
    assert ranges[0]["reference_start"] == pytest.approx(1.0, abs=0.6)
    (still_match,) = still["matches"]  # type: ignore[misc]
    assert still_match["video"]["direction"] == "image_in_video"
    assert "kind" not in still["media"]  # type: ignore[operator]
    assert unrelated["matched"] is False

    code, _, text = _cli(db, "match", files["clip.mp4"], files["still.jpg"])
    assert code == 0
    assert "vpdq" in text and "video query 0.0-" in text and "image_in_video at 3." in text


def test_cli_reports_a_broken_video_and_carries_on(tmp_path: Path, files: dict[str, Path]) -> None:
    db = tmp_path / "cli.sqlite"
    code, lines, _ = _cli(db, "match", files["broken.mp4"], files["unrelated.mp4"], "--json")
    assert code == 1
    broken, unrelated = lines
    assert broken["error"]["code"] == "corrupt_media"  # type: ignore[index]
    assert unrelated["matched"] is False


def test_cli_video_rule(tmp_path: Path, files: dict[str, Path]) -> None:
    db = tmp_path / "cli.sqlite"
    _cli(db, "add", files["original.mp4"], "--list", "t")
    code, (shown,), _ = _cli(db, "video-rule", "t")
    assert code == 0 and shown == {"list": "t", "min_query_share": 0.5, "min_reference_share": 0.0}
    code, (updated,), _ = _cli(db, "video-rule", "t", "--min-reference-share", "0.9")
    assert updated["min_reference_share"] == 0.9 and updated["min_query_share"] == 0.5
    code, (clip,), _ = _cli(db, "match", files["clip.mp4"], "--json")
    assert clip["matched"] is False  # 4 s of 6 s is not 90% of the known video
    code, _, text = _cli(db, "video-rule", "nope")
    assert code != 0 and "no list named" in text


@pytest.fixture
def client(service: HashDB) -> Iterator[TestClient]:
    with TestClient(create_app(service=service)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {_platform_key(service)}"
        yield test_client


def _platform_key(service: HashDB) -> str:
    return service.keys.create("video-tests", Role.PLATFORM, principal=LOCAL_OPERATOR).key


def test_api_matches_video_uploads(
    client: TestClient, service: HashDB, files: dict[str, Path]
) -> None:
    service.adding.media(
        "t", files["original.mp4"].read_bytes(), EntryMetadata(label="v"), principal=LOCAL_OPERATOR
    )
    response = client.post("/v1/match", files={"file": ("c.mp4", files["clip.mp4"].read_bytes())})
    assert response.status_code == 200
    body = response.json()
    assert body["media"]["kind"] == "video" and body["media"]["frames"] >= 4
    assert body["media"]["duration"] == pytest.approx(4.0, abs=0.2)
    (match,) = body["matches"]
    assert match["label"] == "v" and match["video"]["query_share"] >= 0.5
    still = client.post("/v1/match", files={"file": ("s.jpg", files["still.jpg"].read_bytes())})
    assert still.json()["matches"][0]["video"]["direction"] == "image_in_video"
    image = client.post("/v1/match", files={"file": ("i.jpg", jpeg(5))}).json()
    assert set(image["media"]) == {"format", "width", "height", "bytes"}  # unchanged contract
    broken = client.post("/v1/match", files={"file": ("b.mp4", files["broken.mp4"].read_bytes())})
    assert broken.status_code == 422 and broken.json()["code"] == "corrupt_media"


def test_api_video_uploads_have_their_own_size_limit(
    sqlite_url: str, files: dict[str, Path]
) -> None:
    video = files["original.mp4"].read_bytes()
    settings = Settings(db=sqlite_url, max_upload_bytes=1000, video_max_bytes=len(video) + 10)
    service = HashDB(settings)
    with TestClient(create_app(service=service)) as client:
        client.headers["Authorization"] = f"Bearer {_platform_key(service)}"
        assert client.post("/v1/match", files={"file": ("v.mp4", video)}).status_code == 200
        image = client.post("/v1/match", files={"file": ("i.jpg", jpeg(5))})
        assert image.status_code == 413
        too_big = video + b"\x00" * 20
        refused = client.post("/v1/match", files={"file": ("v.mp4", too_big)})
        assert refused.status_code == 413 and refused.json()["code"] == "upload_too_large"


def test_hash_shows_the_vpdq_value_add_stores(tmp_path: Path, files: dict[str, Path]) -> None:
    db = tmp_path / "cli.sqlite"
    _, (hashed,), _ = _cli(db, "hash", files["original.mp4"], "--json")
    _, (added,), _ = _cli(db, "add", files["original.mp4"], "--list", "t", "--json")
    assert hashed["hashes"]["vpdq"] == added["added"][-1]["hash"]  # type: ignore[index]
    assert hashed["media"]["kind"] == "video"  # type: ignore[index]
    code, _, text = _cli(db, "hash", files["original.mp4"])
    assert code == 0 and "\tvpdq\t" in text and "frames=" in text
    _, (listed,), _ = _cli(db, "hash", files["original.mp4"], "--json", "--frames")
    frames = listed["frames"]
    assert isinstance(frames, list) and len(frames) == listed["media"]["frames"]  # type: ignore[index]
    assert frames[0]["timestamp"] == 0.0 and len(frames[0]["pdq"]) == 64


def test_a_partly_decoded_video_says_so_in_plain_text(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    db = tmp_path / "cli.sqlite"
    runner = CliRunner()
    for command in ("add", "match", "hash"):
        extra = ["--list", "t"] if command == "add" else []
        result = runner.invoke(app, ["--db", str(db), command, str(files["partial.mkv"]), *extra])
        assert result.exit_code == 0, result.output
        warning = f"{files['partial.mkv']}: warning: only part of the video was hashed: "
        assert warning in result.stderr and "truncated" in result.stderr, command
        assert "warning" not in result.stdout
    # Whole videos carry no warning.
    result = runner.invoke(app, ["--db", str(db), "match", str(files["original.mp4"])])
    assert result.exit_code == 0 and "warning" not in result.stderr
    # JSON keeps the warning in its body, one object a line on stdout.
    result = runner.invoke(
        app, ["--db", str(db), "add", str(files["partial.mkv"]), "--list", "u", "--json"]
    )
    (body,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert "truncated" in body["warnings"][0] and "warning" not in result.stderr
