"""Video frames hash as a full decode of the stream does: deblocking, keyframes, stream ends."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hashdb.hashing.base import hamming_distance
from hashdb.hashing.media import MediaHasher
from hashdb.hashing.vpdq import HashedVideo, hash_video
from hashdb.media.video import SamplingMode, VideoOptions
from hashdb.settings import Settings
from hashdb.testing.images import scene
from hashdb.testing.videos import Frame, mp4

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
