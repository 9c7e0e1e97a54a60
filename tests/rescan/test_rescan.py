"""Rescans end to end through the service: complete ordered reports, resumes, the hash store."""

from __future__ import annotations

import io
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from hashdb.errors import Conflict, ScanJobNotFound
from hashdb.identity import LOCAL_OPERATOR
from hashdb.rescan.engine_local import LocalEngine
from hashdb.rescan.job import RescanRequest, ScanInterrupted
from hashdb.rescan.report import ReportFormat, StreamSink
from hashdb.rescan.sources import classify
from hashdb.service import EntryMetadata, HashDB
from hashdb.store.models import ScanStatus
from hashdb.testing import videos as videogen
from hashdb.testing.images import encode, jpeg, scene
from tests.rescan.conftest import BAD_FILES


def _scan(
    service: HashDB,
    tree: Path,
    *,
    workers: int = 2,
    store_hashes: bool = False,
    output: Path | None = None,
    fmt: ReportFormat = ReportFormat.JSONL,
) -> tuple[list[dict[str, Any]], Any]:
    request = RescanRequest(
        inputs=classify(["media"], cwd=str(tree.parent)),
        cwd=str(tree.parent),
        output=None if output is None else str(output),
        format=fmt,
        store_hashes=store_hashes,
    )
    stdout = io.StringIO()
    summary = service.rescans.start(request, principal=LOCAL_OPERATOR).run(
        LocalEngine(workers), StreamSink(stdout), chunk_size=3
    )
    return [json.loads(line) for line in stdout.getvalue().splitlines()], summary


def test_report_is_complete_ordered_and_the_match_json_objects(service: HashDB, tree: Path) -> None:
    service.adding.media(
        "terror",
        (tree / "known.png").read_bytes(),
        EntryMetadata(label="logo"),
        principal=LOCAL_OPERATOR,
    )
    copy = tree / "c" / "known-copy.jpg"
    copy.write_bytes(encode(scene(500, (320, 240)).resize((200, 150)), "JPEG", quality=60))
    lines, summary = _scan(service, tree)

    walked = sorted(str(p.relative_to(tree.parent)) for p in tree.rglob("*") if p.is_file())
    assert sorted(line["path"] for line in lines) == walked
    assert len(lines) == len(walked) == summary.counters.files
    assert summary.status is ScanStatus.COMPLETED and summary.workers == 2
    # Same object, field for field, as `hashdb match --json` prints for the file.
    for line in lines:
        if "error" not in line:
            expected = service.matching.file(
                tree.parent / line["path"], principal=LOCAL_OPERATOR
            ).to_dict()
            assert line == {"path": line["path"], **expected}
    matched = {line["path"] for line in lines if line["matched"]}
    assert matched == {"media/known.png", "media/c/known-copy.jpg"}
    errors = {line["path"]: line["error"]["code"] for line in lines if "error" in line}
    assert errors == {f"media/{rel}": code for rel, code in BAD_FILES.items()}
    assert summary.counters.matched == 2
    assert dict(summary.counters.errors) == {
        "corrupt_media": 1,
        "empty_media": 1,
        "unsupported_media": 1,
    }
    job = service.store.get_scan_job(summary.job_id)
    assert job.status is ScanStatus.COMPLETED and job.done == len(lines)
    assert job.counters["files"] == len(lines)


def test_stop_then_resume_reports_every_file_once(service: HashDB, tree: Path) -> None:
    full_out, resumed_out = tree.parent / "full.jsonl", tree.parent / "part.jsonl"
    _scan(service, tree, output=full_out)
    request = RescanRequest(
        inputs=classify(["media"], cwd=str(tree.parent)),
        cwd=str(tree.parent),
        output=str(resumed_out),
    )
    rescan = service.rescans.start(request, principal=LOCAL_OPERATOR)
    stop = threading.Event()
    seen: list[int] = []

    def progress(update: Any) -> None:
        seen.append(update.counters.files)
        if update.counters.files >= 6:
            stop.set()

    with pytest.raises(ScanInterrupted) as interrupted:
        rescan.run(LocalEngine(2), StreamSink(io.StringIO()), progress, stop=stop, chunk_size=2)
    assert interrupted.value.exit_code == 130 and f"--resume {rescan.job.id}" in str(
        interrupted.value
    )
    job = service.store.get_scan_job(rescan.job.id)
    assert job.status is ScanStatus.INTERRUPTED and 6 <= job.done < 27
    assert resumed_out.read_text().count("\n") == job.done
    # A torn trailing line (as a crash mid-write leaves) is cut off on resume.
    with resumed_out.open("a") as handle:
        handle.write('{"path":"media/half')

    summary = service.rescans.resume(job.id, principal=LOCAL_OPERATOR).run(
        LocalEngine(1), StreamSink(io.StringIO())
    )
    assert summary.status is ScanStatus.COMPLETED
    assert resumed_out.read_bytes() == full_out.read_bytes()
    assert summary.counters.files == full_out.read_text().count("\n")
    with pytest.raises(Conflict):
        service.rescans.resume(job.id, principal=LOCAL_OPERATOR)
    with pytest.raises(ScanJobNotFound):
        service.rescans.resume(999, principal=LOCAL_OPERATOR)


def test_store_hashes_skips_unchanged_files_and_rematches_without_decoding(
    service: HashDB, tree: Path
) -> None:
    first, summary = _scan(service, tree, store_hashes=True)
    good = [line for line in first if "error" not in line]
    assert service.store.count_scanned_media() == len(good)
    assert summary.counters.unchanged == 0

    # Unchanged (same size and mtime), touched (same bytes), and changed files.
    touched, changed = tree / "img005.jpg", tree / "a" / "img006.jpg"
    os.utime(touched, ns=(1, 1))
    changed.write_bytes(jpeg(1234, (160, 120)))
    second, summary = _scan(service, tree, store_hashes=True)
    unchanged = {line["path"] for line in second if line.get("unchanged")}
    assert unchanged == {line["path"] for line in good} - {"media/a/img006.jpg"}
    assert summary.counters.unchanged == len(unchanged)
    by_path = {line["path"]: line for line in second}
    for line in good:
        if line["path"] != "media/a/img006.jpg":
            assert by_path[line["path"]]["hashes"] == line["hashes"]
    assert (
        by_path["media/a/img006.jpg"]["hashes"]["pdq"]
        != {line["path"]: line for line in good}["media/a/img006.jpg"]["hashes"]["pdq"]
    )

    # A new entry, from a re-encoded copy of a stored file; then the files go away, so a
    # match can only come from the stored hashes.
    before = service.store.get_scan_job(summary.job_id).created_at
    target = tree / "a" / "b" / "img002.jpg"
    reencoded = encode(scene(2, (160, 120)).resize((120, 90)), "JPEG", quality=50)
    service.adding.media(
        "new-list", reencoded, EntryMetadata(label="fresh"), principal=LOCAL_OPERATOR
    )
    location = str(target)
    for path in sorted(tree.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()

    report = service.rescans.rematch(before, principal=LOCAL_OPERATOR)
    assert [hit.media.location for hit in report.hits] == [location]
    hit = report.hits[0].to_dict()
    assert hit["path"] == location and hit["matched"] is True
    assert {m["list"] for m in hit["matches"]} == {"new-list"}
    assert hit["new_entry_ids"] == sorted({m["entry_id"] for m in hit["matches"]})
    assert hit["hashes"]["pdq"] == by_path["media/a/b/img002.jpg"]["hashes"]["pdq"]
    assert report.new_entries == 5 and report.stored_hashes > 0

    later = service.store.get_entry(hit["new_entry_ids"][0]).added_at
    assert (
        service.rescans.rematch(later.replace(year=later.year + 1), principal=LOCAL_OPERATOR).hits
        == []
    )


def test_an_unchanged_video_still_matches_on_the_next_scan(service: HashDB, tmp_path: Path) -> None:
    """The hash store keeps a video's file digests, not its frame hashes: an unchanged video
    is decoded again rather than re-matched from the store, so its frame match survives."""
    tree = tmp_path / "media"
    tree.mkdir()
    show = videogen.Slideshow(31)
    service.adding.media(
        "terror", videogen.mp4(show.frames(), show.fps), EntryMetadata(), principal=LOCAL_OPERATOR
    )
    clip = videogen.window(show, 1.0, 5.0)
    (tree / "clip.mp4").write_bytes(
        videogen.mp4(videogen.apply(clip, videogen.resized((256, 144))), show.fps)
    )
    (tree / "photo.jpg").write_bytes(jpeg(3, (320, 240)))
    for _ in range(2):
        lines, _summary = _scan(service, tree, store_hashes=True)
        by_path = {line["path"]: line for line in lines}
        assert by_path["media/clip.mp4"]["matched"] is True
        assert by_path["media/clip.mp4"]["matches"][0]["algorithm"] == "vpdq"
    assert by_path["media/photo.jpg"].get("unchanged") is True  # stills still skip decoding
