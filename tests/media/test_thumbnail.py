"""Thumbnails: an image scaled to a long side of 160 pixels, a video a still strip of a few
frames from across its length; small WebP files either way."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from hashdb.errors import CorruptMedia
from hashdb.hashing.media import MediaHasher
from hashdb.media.thumbnail import STRIP_FRAME_SIDE, image_thumbnail, video_strip
from hashdb.settings import Settings
from hashdb.testing import videos
from hashdb.testing.images import scene

HASHER = MediaHasher(Settings(db="unused.sqlite"))


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP" and getattr(image, "n_frames", 1) == 1
    return image.convert("RGB")


@pytest.mark.parametrize(("size", "expected"), [((1280, 720), (160, 90)), ((300, 600), (80, 160))])
def test_an_image_keeps_its_shape_with_a_long_side_of_160(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    picture = image_thumbnail(scene(4, size))
    assert (picture.width, picture.height, picture.frames) == (*expected, 1)
    assert _open(picture.data).size == expected
    assert picture.content_type == "image/webp" and len(picture.data) < 6_000


def test_a_small_image_is_not_enlarged() -> None:
    picture = image_thumbnail(scene(4, (100, 50)))
    assert (picture.width, picture.height) == (100, 50)


@pytest.mark.parametrize("container", ["mp4", "gif"])
def test_a_video_is_a_strip_of_frames_from_across_its_length(container: str) -> None:
    show = videos.Slideshow(9, slides=4, slide_seconds=1.5)
    frames = list(videos.window(show, 0, show.duration, fps=6))
    data = videos.mp4(frames, 6) if container == "mp4" else videos.animated(frames, 6)
    media = HASHER.for_matching(data)
    picture = media.thumbnail()
    assert picture.frames == 4
    strip = np.asarray(_open(picture.data), dtype=np.int16)
    assert strip.shape[0] == picture.height <= STRIP_FRAME_SIDE
    width = (picture.width - 3 * 2) // 4
    tiles = [strip[:, i * (width + 2) : i * (width + 2) + width] for i in range(4)]
    # The first and last frames are of different slides: the strip spans the video.
    assert np.abs(tiles[0] - tiles[-1]).mean() > 20
    assert len(picture.data) < 10_000


def test_undecodable_video_bytes_make_no_strip() -> None:
    with pytest.raises(CorruptMedia):
        video_strip(b"\x00\x00\x00\x18ftypmp42" + bytes(200), [0.0, 1.0], animated=False)
