"""Video frames hash as a full decode of the stream does: deblocking, keyframes, stream ends."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hashdb.hashing.base import hamming_distance
from hashdb.hashing.media import MediaHasher
from hashdb.hashing.vpdq import FrameHasher, HashedVideo, hash_video
from hashdb.media.video import SamplingMode, VideoOptions
from hashdb.settings import Settings
from hashdb.testing.images import scene
from hashdb.testing.videos import Frame, Slideshow, encode, mp4

FPS = 25


def textured(seconds: float = 4.0, size: tuple[int, int] = (480, 270)) -> list[Frame]:
    """A generated scene under fine noise, panning two pixels a frame: what H.264's
    deblocking filter changes most, and where skipping it drifts through a group of frames."""
    width, height = size
    picture = scene(5, (width * 2, height * 2))
    rng = np.random.default_rng(5)
    noise = rng.integers(-48, 48, (height * 2, width * 2, 3), dtype=np.int16)
    big = np.clip(np.asarray(picture, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    return [
        np.ascontiguousarray(big[n : n + height, 2 * n : 2 * n + width])
        for n in range(round(seconds * FPS))
    ]


@pytest.fixture(scope="module")
def textured_mp4() -> bytes:
    # One keyframe for the whole video and a middling quality, as phones upload.
    return mp4(textured(seconds=6), FPS, options={"crf": "34", "g": "250"})


def _query_options(**changes: object) -> VideoOptions:
    """The options a query video is hashed with, as shipped."""
    options = MediaHasher(Settings()).video_options(reference=False)
    return replace(options, **changes)  # type: ignore[arg-type]


def _from_full_decode(video: HashedVideo, data: bytes) -> list[int]:
    """For each frame of ``video``: its distance to the same frame from a full decode."""
    full = hash_video(data, VideoOptions(fps=0, dedupe_distance=-1, skip_nonref=False))
    at = {frame.timestamp: frame.value for frame in full.frames}
    return [hamming_distance(frame.value, at[frame.timestamp]) for frame in video.frames]


def test_query_frames_hash_as_a_full_decode_on_texture(textured_mp4: bytes) -> None:
    query = hash_video(textured_mp4, _query_options(dedupe_distance=-1))
    assert len(query.frames) == 6
    assert max(_from_full_decode(query, textured_mp4)) <= 2
    # Skipping deblocking is what the hash cannot afford here: the error builds up frame
    # after frame, away from the picture.
    fast = hash_video(textured_mp4, _query_options(dedupe_distance=-1, fast_decode=True))
    assert max(_from_full_decode(fast, textured_mp4)) >= 12


def test_keyframes_hash_as_a_full_decode(textured_mp4: bytes) -> None:
    data = mp4(textured(seconds=6), FPS, options={"crf": "34", "g": "25"})
    keyframes = hash_video(data, _query_options(mode=SamplingMode.KEYFRAMES, dedupe_distance=-1))
    assert keyframes.mode is SamplingMode.KEYFRAMES
    assert [frame.timestamp for frame in keyframes.frames] == [0, 1, 2, 3, 4, 5]
    assert max(_from_full_decode(keyframes, data)) <= 2


def _keyframe_mp4(frames: list[Frame], gop: int) -> bytes:
    """H.264 with a keyframe every ``gop`` frames and at no scene cut."""
    return mp4(frames, FPS, options={"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0"})


def test_keyframe_mode_judges_the_stream_keyframes_not_the_kept_frames() -> None:
    # A 12 s still with a keyframe every 2 s: de-duplication keeps one frame, 12 s long, but
    # the keyframes themselves are close enough to stand for the video.
    still = textured(seconds=0.04)[0]
    data = _keyframe_mp4([still] * (12 * FPS), 2 * FPS)
    video = hash_video(data, _query_options(mode=SamplingMode.KEYFRAMES))
    assert video.mode is SamplingMode.KEYFRAMES and video.error is None
    assert video.decoded_frames == 6
    assert len(video.frames) == 1 and video.frames[0].duration == pytest.approx(12.0)
    # Keyframes 20 s apart are too few: sampled at fps after all.
    sparse = _keyframe_mp4([still] * (24 * FPS), 20 * FPS)
    assert hash_video(sparse, _query_options(mode=SamplingMode.KEYFRAMES)).mode is SamplingMode.FPS


def test_the_last_keyframe_stands_until_the_stream_ends() -> None:
    # Keyframes at 0, 5 and 10 s of a 12 s video: intact, and the last one lasts 2 s.
    frames = textured(seconds=12)
    data = _keyframe_mp4(frames, 5 * FPS)
    video = hash_video(data, _query_options(mode=SamplingMode.KEYFRAMES, dedupe_distance=-1))
    assert video.mode is SamplingMode.KEYFRAMES and video.error is None
    assert [frame.timestamp for frame in video.frames] == [0.0, 5.0, 10.0]
    assert video.frames[-1].end == pytest.approx(12.0) == video.duration
    assert hash_video(data, _query_options()).error is None


def test_a_truncated_stream_in_keyframe_mode_says_so() -> None:
    frames = textured(seconds=12)
    data = encode(
        frames,
        FPS,
        container="matroska",
        options={"g": str(2 * FPS), "keyint_min": str(2 * FPS), "sc_threshold": "0"},
    )
    cut = hash_video(data[: len(data) // 2], _query_options(mode=SamplingMode.KEYFRAMES))
    assert cut.mode is SamplingMode.KEYFRAMES
    assert cut.error is not None and "truncated" in cut.error
    assert 3.0 <= cut.duration <= 9.0
    assert cut.frames[-1].end == pytest.approx(cut.duration)


def test_references_hash_fewer_frames_where_the_picture_holds_still(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each 3 s slide holds still for 2 s, then the camera moves for 1 s.
    video = Slideshow(31, size=(320, 180), fps=FPS, slides=3, slide_seconds=3.0)
    frames = [
        video.frame_at(3 * (t // 3) + max(0.0, t % 3 - 2.0) * 2.5)
        for t in (n / FPS for n in range(video.frame_count))
    ]
    data = mp4(frames, FPS)
    hashed: list[int] = []
    pdq = FrameHasher.pdq

    def counted(self: FrameHasher, rgb: np.ndarray) -> tuple[bytes, int, bytes | None]:
        hashed.append(1)
        return pdq(self, rgb)

    monkeypatch.setattr(FrameHasher, "pdq", counted)
    dense_options = VideoOptions(fps=10.0, bands=False)
    dense = hash_video(data, dense_options)
    dense_count = len(hashed)
    hashed.clear()
    coarse = hash_video(data, replace(dense_options, coarse_fps=2.5))
    assert len(hashed) < 0.7 * dense_count
    # Nothing a dense reference keeps is far from what the coarse one keeps, and the kept
    # frames still stand for the whole video.
    for frame in dense.frames:
        assert min(hamming_distance(frame.value, kept.value) for kept in coarse.frames) <= 10
    assert sum(frame.duration for frame in coarse.frames) == pytest.approx(coarse.duration)
    # References are hashed that way by default; queries hash every sampled frame.
    assert MediaHasher(Settings()).video_options(reference=True).coarse_fps > 0
    assert _query_options().coarse_fps == 0
