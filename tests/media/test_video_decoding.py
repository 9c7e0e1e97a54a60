"""Video decoding: containers by content, sampling, de-duplication, borders, damage, limits."""

from __future__ import annotations

import io
import random

import numpy as np
import pdqhash
import pytest
from PIL import Image

from hashdb.errors import (
    CorruptMedia,
    EmptyMedia,
    MediaError,
    MediaTooLarge,
    UnsupportedMedia,
    VideoTooLong,
)
from hashdb.hashing.pdq import pdq_vector_to_bytes
from hashdb.hashing.vpdq import hash_video
from hashdb.media.video import (
    SamplingMode,
    VideoOptions,
    crop_borders,
    sniff_video,
)
from hashdb.testing.images import encode as encode_image
from hashdb.testing.videos import (
    Slideshow,
    animated,
    captioned,
    encode,
    letterboxed,
    mp4,
    vertical,
    webm,
)

VIDEO = Slideshow(11, slides=3, slide_seconds=2.0)


@pytest.fixture(scope="module")
def containers() -> dict[str, bytes]:
    frames = list(VIDEO.frames())
    return {
        "mp4": mp4(frames, VIDEO.fps),
        "mov": encode(frames, VIDEO.fps, container="mov"),
        "mkv": encode(frames, VIDEO.fps, container="matroska"),
        "webm": webm(frames, VIDEO.fps),
        "gif": animated(frames, VIDEO.fps, "GIF"),
        "webp": animated(frames, VIDEO.fps, "WEBP"),
    }


@pytest.mark.parametrize("kind", ["mp4", "mov", "mkv", "webm", "gif", "webp"])
def test_containers_are_recognised_by_content_and_hashed(
    containers: dict[str, bytes], kind: str
) -> None:
    data = containers[kind]
    assert sniff_video(data) == kind
    video = hash_video(data)
    assert video.container == kind and video.error is None
    assert 5.0 <= video.duration <= 6.5
    times = [frame.timestamp for frame in video.frames]
    assert times == sorted(times) and times[0] == 0.0
    # One frame per second at most (plus keyframes at the slide cuts), none near-duplicate.
    assert 3 <= len(times) <= 8
    assert all(frame.quality >= 50 for frame in video.frames)
    total = sum(frame.duration for frame in video.frames)
    assert total == pytest.approx(video.duration, abs=0.2)


def test_the_same_frames_hash_alike_in_every_container(containers: dict[str, bytes]) -> None:
    reference = hash_video(containers["mp4"]).frames[0].value
    for kind, data in containers.items():
        first = hash_video(data).frames[0].value
        distance = (int.from_bytes(first, "big") ^ int.from_bytes(reference, "big")).bit_count()
        assert distance <= 20, kind


def test_still_images_are_not_videos() -> None:
    still = Image.fromarray(VIDEO.frame_at(0))
    for fmt in ("GIF", "WEBP", "JPEG", "PNG"):
        assert sniff_video(encode_image(still, fmt)) is None
    assert sniff_video(b"plain text") is None


def test_denser_sampling_and_keyframe_mode(containers: dict[str, bytes]) -> None:
    data = containers["mp4"]
    sparse = hash_video(data, VideoOptions(fps=1.0))
    dense = hash_video(data, VideoOptions(fps=5.0, dedupe_distance=-1))
    keyframes = hash_video(data, VideoOptions(mode=SamplingMode.KEYFRAMES))
    assert len(dense.frames) >= 4 * len(sparse.frames) - 4
    # Frames no other frame refers to (B-frames) are not decoded at all, unless asked.
    assert dense.decoded_frames == sparse.decoded_frames
    assert VIDEO.frame_count // 3 < sparse.decoded_frames < VIDEO.frame_count
    every = hash_video(data, VideoOptions(skip_nonref=False))
    assert every.decoded_frames == VIDEO.frame_count
    assert [f.value for f in every.frames][:1] == [f.value for f in sparse.frames][:1]
    # Keyframes only: the encoder's scene cuts (one per slide), nothing else decoded.
    assert keyframes.mode is SamplingMode.KEYFRAMES
    assert keyframes.decoded_frames < VIDEO.frame_count // 4
    assert [round(f.timestamp) for f in keyframes.frames] == [0, 2, 4]


def test_sparse_keyframes_fall_back_to_fps_sampling() -> None:
    data = mp4(VIDEO.frames(), VIDEO.fps)
    video = hash_video(data, VideoOptions(mode=SamplingMode.KEYFRAMES, max_keyframe_gap=1.0))
    assert video.mode is SamplingMode.FPS and len(video.frames) >= 5


def test_static_stretches_collapse_into_one_frame_that_lasts() -> None:
    still = VIDEO.frame_at(0.5)
    video = hash_video(mp4([still] * 60, 15))
    assert len(video.frames) == 1
    assert video.frames[0].duration == pytest.approx(4.0, abs=0.1)


def test_mirrored_hash_is_the_hash_of_the_mirror() -> None:
    frame = VIDEO.frame_at(1.0)
    video = hash_video(mp4([frame] * 15, 15), VideoOptions(mirrored=True, crop_borders=False))
    decoded_mirror = video.frames[0].mirrored
    assert decoded_mirror is not None
    vector, _ = pdqhash.compute(np.ascontiguousarray(frame[:, ::-1]))
    expected = pdq_vector_to_bytes(vector)
    distance = (int.from_bytes(decoded_mirror, "big") ^ int.from_bytes(expected, "big")).bit_count()
    assert distance <= 20


def test_borders_are_cropped_only_when_centred() -> None:
    frame = VIDEO.frame_at(1.0)
    boxed = letterboxed((320, 240))(frame)
    assert crop_borders(boxed).shape[0] == pytest.approx(180, abs=3)
    tall = vertical((180, 320))(frame)
    cropped = crop_borders(tall)
    assert cropped.shape[1] == 180 and cropped.shape[0] == pytest.approx(101, abs=3)
    # A caption written on the bar does not stop the bar.
    assert crop_borders(captioned()(tall)).shape == cropped.shape
    one_sided = frame.copy()
    one_sided[-30:] = 0  # a flat strip at the bottom only: part of the picture
    assert crop_borders(one_sided).shape == frame.shape


def test_truncated_streams_hash_what_decodes_and_say_so(containers: dict[str, bytes]) -> None:
    for kind in ("webm", "mkv"):
        data = containers[kind]
        video = hash_video(data[: len(data) // 2])
        assert video.error is not None and "truncated" in video.error
        assert 1 <= len(video.frames) < len(hash_video(data).frames)
        assert video.duration < 4.5


def test_truncated_mp4_without_its_index_is_a_clear_error(containers: dict[str, bytes]) -> None:
    # The MP4 muxer writes the index (moov) at the end: half a file cannot be opened.
    with pytest.raises(CorruptMedia, match="mp4"):
        hash_video(containers["mp4"][: len(containers["mp4"]) // 2])


def test_garbage_and_empty_input() -> None:
    with pytest.raises(CorruptMedia):
        hash_video(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500)
    with pytest.raises(CorruptMedia):
        hash_video(b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 4)
    with pytest.raises(EmptyMedia):
        hash_video(b"")
    with pytest.raises(UnsupportedMedia):
        hash_video(b"not a video at all")


def test_damaged_packets_in_the_middle_do_not_lose_the_rest(containers: dict[str, bytes]) -> None:
    data = bytearray(containers["mkv"])
    middle = len(data) // 2
    data[middle : middle + 3000] = bytes(3000)
    video = hash_video(bytes(data))
    assert video.frames and video.frames[-1].timestamp >= 4.0


def test_limits_on_duration_frames_and_pixels(containers: dict[str, bytes]) -> None:
    with pytest.raises(VideoTooLong) as too_long:
        hash_video(containers["mp4"], VideoOptions(max_duration=3.0))
    assert too_long.value.code == "video_too_long" and too_long.value.http_status == 422
    capped = hash_video(containers["mp4"], VideoOptions(max_decoded_frames=20))
    assert capped.error is not None and "20 decoded frames" in capped.error
    assert capped.frames and capped.frames[-1].timestamp < 3.0
    with pytest.raises(MediaTooLarge):
        hash_video(containers["webm"], VideoOptions(max_pixels=320 * 100))
    with pytest.raises(VideoTooLong):
        hash_video(containers["gif"], VideoOptions(max_duration=2.0))


def test_animation_frame_times_follow_their_durations() -> None:
    frames = [VIDEO.frame_at(t) for t in (0.0, 2.0, 4.0)]
    images = [Image.fromarray(frame) for frame in frames]
    buffer = io.BytesIO()
    images[0].save(
        buffer, "GIF", save_all=True, append_images=images[1:], duration=[500, 1500, 800]
    )
    video = hash_video(buffer.getvalue(), VideoOptions(fps=10, dedupe_distance=-1))
    assert [f.timestamp for f in video.frames] == [0.0, 0.5, 2.0]
    assert video.duration == pytest.approx(2.8)


def test_mutated_files_give_frames_or_a_typed_error(containers: dict[str, bytes]) -> None:
    rng = random.Random(0)
    for _ in range(16):
        kind = rng.choice(["mp4", "mkv", "webm", "gif"])
        data = bytearray(containers[kind])
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        try:
            video = hash_video(bytes(data))
        except MediaError:
            continue
        assert video.frames or video.decoded_frames
