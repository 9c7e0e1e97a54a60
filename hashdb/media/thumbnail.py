"""Thumbnails: the small pictures the console may show an analyst, made from media already
decoded for hashing.

An image becomes one picture whose long side is at most :data:`THUMBNAIL_SIDE` pixels; a
video (or an animated GIF/WebP) becomes a *strip*: a few frames spread over its length, side
by side in one still picture, so nothing ever plays. Both are encoded as WebP (JPEG where
Pillow lacks WebP) at a low quality: a few kilobytes, enough to recognise, never to reuse.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageSequence, features

from hashdb.errors import CorruptMedia

#: Long side of an image's thumbnail, in pixels.
THUMBNAIL_SIDE = 160
#: Frames in a video's strip, and the long side of each.
STRIP_FRAMES = 4
STRIP_FRAME_SIDE = 120
#: Decoding for one strip frame stops after this many frames past the seek point.
_MAX_FRAMES_PER_SEEK = 600
_QUALITY = 60
_GAP = 2


@dataclass(frozen=True, slots=True)
class Picture:
    """A small encoded picture: one image, or a video's frames side by side in one strip."""

    data: bytes
    content_type: str
    width: int
    height: int
    #: 1 for a still image; the number of frames in a video's strip.
    frames: int = 1


def image_thumbnail(image: Image.Image, side: int = THUMBNAIL_SIDE) -> Picture:
    """A decoded image, scaled down so that its long side is at most ``side`` pixels."""
    small = _fit(image, side)
    return _encode(small, frames=1)


def video_strip(
    data: bytes, times: Sequence[float], *, animated: bool, frames: int = STRIP_FRAMES
) -> Picture:
    """A strip of at most ``frames`` frames of a video, at moments spread over ``times`` (the
    timestamps of its sampled frames, in seconds); ``animated`` for a GIF or WebP animation.
    Raises :class:`CorruptMedia` when no frame can be decoded."""
    wanted = _spread(sorted(times) or [0.0], frames)
    pictures = _animation_frames(data, wanted) if animated else _stream_frames(data, wanted)
    if not pictures:
        raise CorruptMedia("no frame of the video could be decoded for its thumbnail")
    scaled = [_fit(picture, STRIP_FRAME_SIDE) for picture in pictures]
    width = sum(picture.width for picture in scaled) + _GAP * (len(scaled) - 1)
    height = max(picture.height for picture in scaled)
    strip = Image.new("RGB", (width, height), (0, 0, 0))
    x = 0
    for picture in scaled:
        strip.paste(picture, (x, (height - picture.height) // 2))
        x += picture.width + _GAP
    return _encode(strip, frames=len(scaled))


def _spread(times: list[float], count: int) -> list[float]:
    """``count`` of ``times`` evenly spread from the first to the last (all if fewer)."""
    if len(times) <= count:
        return times
    step = (len(times) - 1) / (count - 1) if count > 1 else 0
    return [times[round(index * step)] for index in range(count)]


def _fit(image: Image.Image, side: int) -> Image.Image:
    rgb = image.convert("RGB")
    scale = side / max(rgb.size)
    if scale < 1:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        # Reduce by whole factors first (box filter), then Lanczos: 3x faster, as sharp here.
        rgb = rgb.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return rgb


def _encode(image: Image.Image, *, frames: int) -> Picture:
    buffer = io.BytesIO()
    if features.check("webp"):
        image.save(buffer, "WEBP", quality=_QUALITY, method=4)
        content_type = "image/webp"
    else:
        image.save(buffer, "JPEG", quality=_QUALITY, optimize=True)
        content_type = "image/jpeg"
    return Picture(buffer.getvalue(), content_type, image.width, image.height, frames)


def _stream_frames(data: bytes, times: Sequence[float]) -> list[Image.Image]:
    import av  # PyAV loads with the first video (docs/performance.md: start-up and memory)
    import av.error

    found: list[Image.Image] = []
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.video:
                return []
            stream = container.streams.video[0]
            base = stream.time_base
            for moment in times:
                if base:
                    container.seek(int(moment / base), stream=stream)
                for count, frame in enumerate(container.decode(stream)):
                    if (frame.time or 0.0) >= moment - 1e-3 or count >= _MAX_FRAMES_PER_SEEK:
                        found.append(Image.fromarray(frame.to_ndarray(format="rgb24")))
                        break
    except (av.error.FFmpegError, OSError, ValueError):
        pass  # the frames found so far make the strip
    return found


def _animation_frames(data: bytes, times: Sequence[float]) -> list[Image.Image]:
    found: list[Image.Image] = []
    pending = list(times)
    timestamp = 0.0
    try:
        with Image.open(io.BytesIO(data)) as image:
            for frame in ImageSequence.Iterator(image):
                frame.load()
                if pending and timestamp >= pending[0] - 1e-3:
                    found.append(frame.convert("RGB"))
                    while pending and timestamp >= pending[0] - 1e-3:
                        pending.pop(0)
                if not pending:
                    break
                timestamp += max(float(frame.info.get("duration") or 100), 10.0) / 1000.0
    except (OSError, SyntaxError, ValueError, EOFError, IndexError):
        pass
    return found
