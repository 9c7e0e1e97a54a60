"""Video matching in every direction and for every edit family, with time ranges.

One reference video (a pan-and-zoom slideshow) and one poster image are added once per module;
each test queries an edited copy. Edits are made from the same generated scenes, never from
the reference file, except where the edit is a re-encode of the file itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PIL import Image

from hashdb.errors import InvalidValue
from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.evidence import Direction
from hashdb.matching.match import Match
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import NewEntry, NewList, open_store
from hashdb.store.models import NewVideoFrame, VideoRule
from hashdb.testing.images import encode as encode_image
from hashdb.testing.images import scene
from hashdb.testing.videos import (
    Frame,
    Slideshow,
    apply,
    captioned,
    letterboxed,
    mirrored,
    mp4,
    resized,
    vertical,
    webm,
    window,
)

REFERENCE = Slideshow(3, size=(320, 180), fps=15, slides=4, slide_seconds=2.0)
POSTER = scene(77, (640, 360))


@functools.cache
def reference_mp4() -> bytes:
    """The reference clip's file as added: the same bytes again (x264 may encode the same
    frames to different bytes from one run to the next)."""
    return mp4(REFERENCE.frames(), REFERENCE.fps)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HashDB]:
    db = tmp_path_factory.mktemp("video") / "hashdb.sqlite"
    hashdb = HashDB(Settings(db=str(db), refresh_interval=0))
    report = hashdb.adding.media(
        "terror", reference_mp4(), EntryMetadata(label="clip-1"), principal=LOCAL_OPERATOR
    )
    assert [added.algorithm for added in report.added] == ["md5", "sha256", "vpdq"]
    hashdb.adding.media(
        "terror",
        encode_image(POSTER, "PNG"),
        EntryMetadata(label="poster"),
        principal=LOCAL_OPERATOR,
    )
    yield hashdb
    hashdb.close()


def _video_match(service: HashDB, data: bytes) -> Match:
    result = service.matching.media(data, principal=LOCAL_OPERATOR)
    found = [m for m in result.matches if m.algorithm == "vpdq"]
    assert found, f"no video match; got {[(m.algorithm, m.distance) for m in result.matches]}"
    assert len(found) == 1
    assert found[0].video is not None
    return found[0]


def _shifted_frames(start: float, end: float) -> Iterator[Frame]:
    return window(REFERENCE, start, end)


EDITS: dict[str, Callable[[], bytes]] = {
    # first and last 30% cut
    "trimmed": lambda: mp4(_shifted_frames(2.4, 5.6), REFERENCE.fps),
    "clip_5s": lambda: mp4(_shifted_frames(2.1, 7.1), REFERENCE.fps),
    "reencoded_vp9_low_bitrate": lambda: webm(REFERENCE.frames(), REFERENCE.fps, bitrate=60_000),
    "resized": lambda: mp4(apply(REFERENCE.frames(), resized((224, 126))), REFERENCE.fps),
    "letterboxed": lambda: mp4(apply(REFERENCE.frames(), letterboxed((320, 240))), 15),
    "vertical_9_16": lambda: mp4(apply(REFERENCE.frames(), vertical((270, 480))), 15),
    "mirrored": lambda: mp4(apply(REFERENCE.frames(), mirrored), REFERENCE.fps),
    "captioned": lambda: mp4(apply(REFERENCE.frames(), captioned()), REFERENCE.fps),
    "frame_rate_10fps": lambda: mp4(window(REFERENCE, 0, REFERENCE.duration, fps=10), 10),
    # A phone repost: a clip, pillarboxed to 9:16, captioned on the bar, re-encoded to VP9.
    "vertical_captioned_clip_vp9": lambda: webm(
        apply(window(REFERENCE, 1.5, 6.5), vertical((270, 480)), captioned()), 15
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_every_edit_family_matches_the_known_video(service: HashDB, edit: str) -> None:
    match = _video_match(service, EDITS[edit]())
    evidence = match.video
    assert evidence is not None and evidence.direction is Direction.VIDEO
    assert match.label == "clip-1" and match.distance <= match.threshold == 31
    assert evidence.query_share is not None and evidence.query_share >= 0.5
    assert evidence.mirrored is (edit == "mirrored")
    assert evidence.ranges


def test_a_clip_reports_where_it_sits_in_the_known_video(service: HashDB) -> None:
    match = _video_match(service, EDITS["clip_5s"]())
    evidence = match.video
    assert evidence is not None and evidence.reference_share is not None
    assert 0.45 <= evidence.reference_share <= 0.75  # 5 s of 8 s
    first, last = evidence.ranges[0], evidence.ranges[-1]
    assert first.query_start == pytest.approx(0.0, abs=0.1)
    assert first.reference_start == pytest.approx(2.1, abs=0.5)
    assert last.reference_end == pytest.approx(7.1, abs=1.0)


@pytest.mark.parametrize("moment", [0.37, 2.71, 5.05, 7.88])
def test_stills_at_arbitrary_times_match_with_their_timestamp(
    service: HashDB, moment: float
) -> None:
    still = encode_image(Image.fromarray(REFERENCE.frame_at(moment)), "JPEG", quality=80)
    match = _video_match(service, still)
    evidence = match.video
    assert evidence is not None and evidence.direction is Direction.IMAGE_IN_VIDEO
    assert any(
        (r.reference_start or 0) - 0.5 <= moment <= (r.reference_end or 0) + 0.5
        for r in evidence.ranges
    )


def test_a_letterboxed_screenshot_matches(service: HashDB) -> None:
    shot = letterboxed((320, 320))(REFERENCE.frame_at(6.2))
    match = _video_match(service, encode_image(Image.fromarray(shot), "PNG"))
    assert match.video is not None and match.video.direction is Direction.IMAGE_IN_VIDEO


def test_a_known_poster_shown_in_a_clip_matches_with_its_time(service: HashDB) -> None:
    unrelated = Slideshow(91, size=(320, 180), slides=2, slide_seconds=2.0)
    poster = np.asarray(POSTER.resize((320, 180)))
    frames = [*window(unrelated, 0, 2.0), *([poster] * 30), *window(unrelated, 2.0, 4.0)]
    result = service.matching.media(mp4(frames, 15), principal=LOCAL_OPERATOR)
    (match,) = result.matches
    assert match.label == "poster" and match.algorithm == "pdq"
    assert match.video is not None and match.video.direction is Direction.VIDEO_SHOWS_IMAGE
    (shown,) = match.video.ranges
    assert shown.query_start == pytest.approx(2.0, abs=0.5)
    assert shown.query_end == pytest.approx(4.0, abs=0.5)


@pytest.mark.parametrize("seed", [101, 202, 303])
def test_unrelated_videos_and_images_match_nothing(service: HashDB, seed: int) -> None:
    other = Slideshow(seed, size=(320, 180), slides=3, slide_seconds=2.0)
    assert (
        service.matching.media(mp4(other.frames(), other.fps), principal=LOCAL_OPERATOR).matches
        == []
    )
    still = encode_image(Image.fromarray(other.frame_at(1.3)), "JPEG")
    assert service.matching.media(still, principal=LOCAL_OPERATOR).matches == []


def test_the_same_file_also_matches_exactly(service: HashDB) -> None:
    algorithms = {
        m.algorithm
        for m in service.matching.media(reference_mp4(), principal=LOCAL_OPERATOR).matches
    }
    assert algorithms == {"md5", "sha256", "vpdq"}


def test_match_json_carries_video_fields(service: HashDB) -> None:
    body = service.matching.media(EDITS["clip_5s"](), principal=LOCAL_OPERATOR).to_dict()
    assert body["media"]["kind"] == "video" and body["media"]["format"] == "mp4"
    assert body["media"]["duration"] == pytest.approx(5.0, abs=0.2)
    assert body["media"]["frames"] >= 5
    assert len(body["hashes"]["vpdq"]) == 64 and "md5" in body["hashes"]
    (video_match,) = [m for m in body["matches"] if m["algorithm"] == "vpdq"]
    assert video_match["video"]["direction"] == "video"
    assert {"query_start", "reference_start"} <= set(video_match["video"]["ranges"][0])


# --- adds, rules, retirement: a fresh database each --------------------------------------


@pytest.fixture
def fresh(settings: Settings) -> Iterator[HashDB]:
    hashdb = HashDB(settings)
    yield hashdb
    hashdb.close()


SMALL = Slideshow(5, size=(256, 144), fps=10, slides=2, slide_seconds=2.5)


def test_adding_a_video_twice_is_idempotent(fresh: HashDB) -> None:
    data = mp4(SMALL.frames(), SMALL.fps)
    first = fresh.adding.media("l", data, EntryMetadata(), principal=LOCAL_OPERATOR)
    again = fresh.adding.media("l", data, EntryMetadata(), principal=LOCAL_OPERATOR)
    assert first.created == 3 and again.created == 0
    video_id = first.added[-1].entry_id
    assert fresh.entries.get(video_id, principal=LOCAL_OPERATOR).algorithm == "vpdq"
    frames = fresh.store.video_frames([video_id])[video_id]
    assert len(frames) >= 10  # dense reference sampling
    assert [f.index for f in frames] == list(range(len(frames)))


def test_flat_videos_keep_only_their_exact_hashes(fresh: HashDB) -> None:
    grey = np.full((144, 256, 3), 128, dtype=np.uint8)
    report = fresh.adding.media(
        "l", mp4([grey] * 20, 10), EntryMetadata(), principal=LOCAL_OPERATOR
    )
    assert [a.algorithm for a in report.added] == ["md5", "sha256"]
    assert [(r.algorithm, r.code) for r in report.refused] == [("vpdq", "low_quality")]


def test_truncated_video_is_added_with_a_warning(fresh: HashDB) -> None:
    data = webm(SMALL.frames(), SMALL.fps)
    report = fresh.adding.media(
        "l", data[: len(data) * 2 // 3], EntryMetadata(), principal=LOCAL_OPERATOR
    )
    assert "vpdq" in {a.algorithm for a in report.added}
    assert report.warnings and "truncated" in report.warnings[0]
    assert report.to_dict()["warnings"] == report.warnings


def test_list_rules_can_demand_coverage_of_the_known_video(fresh: HashDB) -> None:
    fresh.adding.media(
        "l", mp4(SMALL.frames(), SMALL.fps), EntryMetadata(), principal=LOCAL_OPERATOR
    )
    half = mp4(window(SMALL, 0.0, 2.5), SMALL.fps)
    assert any(
        m.algorithm == "vpdq" for m in fresh.matching.media(half, principal=LOCAL_OPERATOR).matches
    )
    assert fresh.lists.set_video_rule("l", 0.5, 0.9, principal=LOCAL_OPERATOR) == VideoRule(
        0.5, 0.9
    )
    assert fresh.lists.video_rule("l", principal=LOCAL_OPERATOR) == VideoRule(0.5, 0.9)
    assert not any(
        m.algorithm == "vpdq" for m in fresh.matching.media(half, principal=LOCAL_OPERATOR).matches
    )
    full = mp4(apply(SMALL.frames(), resized((200, 112))), SMALL.fps)
    assert any(
        m.algorithm == "vpdq" for m in fresh.matching.media(full, principal=LOCAL_OPERATOR).matches
    )


def test_retired_video_stops_matching_in_every_process(fresh: HashDB, settings: Settings) -> None:
    data = mp4(SMALL.frames(), SMALL.fps)
    report = fresh.adding.media("l", data, EntryMetadata(), principal=LOCAL_OPERATOR)
    other = HashDB(settings)  # another process: its own store connection and indexes
    try:
        still = encode_image(Image.fromarray(SMALL.frame_at(3.3)), "JPEG")
        assert [
            m.algorithm for m in other.matching.media(still, principal=LOCAL_OPERATOR).matches
        ] == ["vpdq"]
        fresh.entries.retire(
            report.added[-1].entry_id, "false positive", "reviewer", principal=LOCAL_OPERATOR
        )
        assert other.matching.media(still, principal=LOCAL_OPERATOR).matches == []
        assert other.pipeline.video.frame_count == 0
    finally:
        other.close()


def test_video_frames_round_trip_in_the_store(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.transaction():
            hash_list = store.ensure_list("l")
            (outcome,) = store.add_entries(hash_list.id, [NewEntry("vpdq", b"\x01" * 32)])
            store.add_video_frames(
                outcome.entry_id,
                [
                    NewVideoFrame(0, 0.0, 1.0, b"\x02" * 32, 90, b"\x03" * 32),
                    NewVideoFrame(1, 1.0, 0.5, b"\x04" * 32, 80, None),
                ],
            )
        frames = store.video_frames([outcome.entry_id])[outcome.entry_id]
        assert [(f.index, f.timestamp, f.duration, f.quality) for f in frames] == [
            (0, 0.0, 1.0, 90),
            (1, 1.0, 0.5, 80),
        ]
        assert frames[0].band == b"\x03" * 32 and frames[1].band is None
        assert [f.id for batch in store.iter_live_video_frames() for f in batch] == [
            f.id for f in frames
        ]
        store.set_video_rule(hash_list.id, VideoRule(0.7, 0.2))
        store.set_video_rule(hash_list.id, VideoRule(0.6, 0.1))
        assert store.video_rules() == {hash_list.id: VideoRule(0.6, 0.1)}
        store.retire_entry(outcome.entry_id, "test", None)
        assert list(store.iter_live_video_frames()) == []
    finally:
        store.close()


def test_rule_shares_are_validated(fresh: HashDB) -> None:
    fresh.lists.create(NewList("l"), principal=LOCAL_OPERATOR)
    with pytest.raises(InvalidValue):
        fresh.lists.set_video_rule("l", 1.5, 0.0, principal=LOCAL_OPERATOR)


def test_the_audit_record_of_an_added_video_is_its_entry_as_stored(service: HashDB) -> None:
    records = {
        record.target_id: record
        for record in service.audit.records(LOCAL_OPERATOR, target_type="entry")
        if record.action == "entry.add"
    }
    video = [r for r in records.values() if r.after and r.after["algorithm"] == "vpdq"]
    assert len(video) == 1
    assert video[0].target_id is not None
    stored = service.entries.get(int(video[0].target_id), principal=LOCAL_OPERATOR)
    assert video[0].after == stored.to_dict()
