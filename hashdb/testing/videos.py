"""Deterministic synthetic test videos: pan-and-zoom slideshows encoded with PyAV.

Each slide is a generated scene (:func:`tests.imagegen.scene`) shown through a camera window
that slowly zooms and pans ("Ken Burns"), so consecutive frames differ the way real footage
does. Edits (trim, resize, letterbox, mirror, caption, frame rate) are plain functions on the
frame stream, and :func:`encode` writes any container/codec the PyAV wheel's FFmpeg offers,
so no ``ffmpeg`` binary is needed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import cast

import av
import cv2
import numpy as np
from av.video.stream import VideoStream
from PIL import Image, ImageDraw

from hashdb.testing.images import scene

Frame = np.ndarray  # (height, width, 3) uint8 RGB


@dataclass(frozen=True)
class Slideshow:
    """A pan-and-zoom slideshow: ``slides`` scenes of ``slide_seconds`` each."""

    seed: int
    size: tuple[int, int] = (320, 180)
    fps: int = 15
    slides: int = 3
    slide_seconds: float = 2.0

    @property
    def duration(self) -> float:
        return self.slides * self.slide_seconds

    @property
    def frame_count(self) -> int:
        return round(self.duration * self.fps)

    def with_fps(self, fps: int) -> Slideshow:
        return replace(self, fps=fps)

    def frame_at(self, t: float) -> Frame:
        """The frame shown at ``t`` seconds (any time, not only frame times)."""
        return self._render(t)

    def frames(self) -> Iterator[Frame]:
        for number in range(self.frame_count):
            yield self._render(number / self.fps)

    def _array(self, index: int) -> np.ndarray:
        cache: dict[int, np.ndarray] = self.__dict__.setdefault("_cache", {})
        if index not in cache:
            # Slides are drawn at a modest size and scaled up: detail is what PDQ sees, and
            # drawing 4K scenes would dominate the benchmark's set-up time.
            width, height = self.size
            draw = (min(width, 640) * 1.6, min(width, 640) * 1.6 * height / width)
            slide = scene(self.seed * 101 + index, (int(draw[0]), int(draw[1])))
            big = slide.resize((int(width * 1.6), int(height * 1.6)), Image.Resampling.BICUBIC)
            cache[index] = np.ascontiguousarray(np.asarray(big, dtype=np.uint8))
        return cache[index]

    def _render(self, t: float) -> Frame:
        index = min(int(t / self.slide_seconds), self.slides - 1)
        progress = min(max(t / self.slide_seconds - index, 0.0), 1.0)
        big_h, big_w = self._array(index).shape[:2]
        rng = np.random.default_rng(self.seed * 7919 + index)
        # A slow camera, as in documentary slideshows: about 15% zoom and a short pan per
        # slide, whatever the slide's length.
        zoom_from = rng.uniform(0.78, 0.9)
        zoom_to = zoom_from - rng.uniform(0.1, 0.16)
        zoom = zoom_from + (zoom_to - zoom_from) * progress
        box_w, box_h = big_w * zoom, big_h * zoom
        start = rng.uniform(0.2, 0.8, 2)
        end = np.clip(start + rng.uniform(-0.35, 0.35, 2), 0, 1)
        cx = (start[0] + (end[0] - start[0]) * progress) * (big_w - box_w) + box_w / 2
        cy = (start[1] + (end[1] - start[1]) * progress) * (big_h - box_h) + box_h / 2
        width, height = self.size
        scale = width / box_w
        # The camera window as one affine map: source (x, y) -> frame (x', y').
        matrix = np.array(
            [
                [scale, 0.0, width / 2 - cx * scale],
                [0.0, height / box_h, height / 2 - cy * height / box_h],
            ]
        )
        return cv2.warpAffine(self._array(index), matrix, (width, height), flags=cv2.INTER_LINEAR)


# --- edits on frame streams --------------------------------------------------------------

FrameEdit = Callable[[Frame], Frame]


def _canvas(frame: Frame, size: tuple[int, int], colour: int = 0) -> Frame:
    """``frame`` scaled to fit inside ``size`` and centred on a solid background."""
    width, height = size
    src_h, src_w = frame.shape[:2]
    scale = min(width / src_w, height / src_h)
    new_w, new_h = max(2, round(src_w * scale)), max(2, round(src_h * scale))
    fitted = np.asarray(Image.fromarray(frame).resize((new_w, new_h), Image.Resampling.BILINEAR))
    canvas = np.full((height, width, 3), colour, dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = fitted
    return canvas


def resized(size: tuple[int, int]) -> FrameEdit:
    return lambda frame: np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR))


def letterboxed(size: tuple[int, int]) -> FrameEdit:
    """Bars above and below (e.g. 16:9 content in a 4:3 frame)."""
    return lambda frame: _canvas(frame, size)


def vertical(size: tuple[int, int] = (180, 320)) -> FrameEdit:
    """A 9:16 phone repost: the landscape video in the middle of a tall black frame."""
    return lambda frame: _canvas(frame, size)


def mirrored(frame: Frame) -> Frame:
    return np.ascontiguousarray(frame[:, ::-1])


def captioned(text: str = "BREAKING: shared from @somebody") -> FrameEdit:
    def edit(frame: Frame) -> Frame:
        image = Image.fromarray(frame)
        draw = ImageDraw.Draw(image)
        width, height = image.size
        bar = max(12, height // 8)
        draw.rectangle([0, height - bar, width, height], fill=(0, 0, 0))
        draw.text((6, height - bar + 2), text, fill=(255, 255, 255))
        draw.text((width - 60, 4), "@clips", fill=(255, 255, 0))
        return np.asarray(image)

    return edit


def apply(frames: Iterable[Frame], *edits: FrameEdit) -> Iterator[Frame]:
    for frame in frames:
        for edit in edits:
            frame = edit(frame)
        yield frame


def window(video: Slideshow, start: float, end: float, fps: int | None = None) -> Iterator[Frame]:
    """The frames between ``start`` and ``end`` seconds, optionally at another frame rate."""
    rate = fps or video.fps
    for number in range(round((end - start) * rate)):
        yield video.frame_at(start + number / rate)


# --- encoding ----------------------------------------------------------------------------


def encode(
    frames: Iterable[Frame],
    fps: int,
    *,
    container: str = "mp4",
    codec: str = "libx264",
    bitrate: int | None = None,
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
) -> bytes:
    """Encode RGB frames into an in-memory file (mp4/h264, webm/vp9, mov, mkv, gif, ...)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container, options=container_options or {}) as output:
        stream: VideoStream | None = None
        for frame in frames:
            if stream is None:
                stream = cast(VideoStream, output.add_stream(codec, rate=fps))
                stream.width, stream.height = frame.shape[1], frame.shape[0]
                if codec == "gif":
                    stream.pix_fmt = "rgb8"
                else:
                    stream.pix_fmt = "yuv420p"
                stream.time_base = Fraction(1, fps)
                if bitrate:
                    stream.bit_rate = bitrate
                stream.options = {"preset": "veryfast"} if codec == "libx264" else {}
                stream.options.update(options or {})
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for packet in stream.encode(video_frame):
                output.mux(packet)
        if stream is not None:
            for packet in stream.encode(None):
                output.mux(packet)
    return buffer.getvalue()


def mp4(frames: Iterable[Frame], fps: int, **kwargs: object) -> bytes:
    return encode(frames, fps, container="mp4", codec="libx264", **kwargs)  # type: ignore[arg-type]


def webm(frames: Iterable[Frame], fps: int, bitrate: int = 200_000) -> bytes:
    return encode(
        frames,
        fps,
        container="webm",
        codec="libvpx-vp9",
        bitrate=bitrate,
        options={"deadline": "realtime", "cpu-used": "8"},
    )


def animated(frames: Iterable[Frame], fps: int, fmt: str = "GIF") -> bytes:
    """An animated GIF or WebP written by Pillow."""
    images = [Image.fromarray(frame) for frame in frames]
    if fmt == "GIF":  # Pillow's default (median cut) palette takes ~0.1 s a frame
        images = [image.quantize(method=Image.Quantize.FASTOCTREE) for image in images]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        fmt,
        save_all=True,
        append_images=images[1:],
        duration=round(1000 / fps),
        loop=0,
        **({"quality": 80} if fmt == "WEBP" else {}),
    )
    return buffer.getvalue()
