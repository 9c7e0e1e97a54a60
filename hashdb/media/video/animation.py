"""Animated GIF and WebP decoded with Pillow, which composites their frames correctly."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageSequence

from hashdb.errors import VideoTooLong
from hashdb.media.video.frames import crop_borders, scaled_size
from hashdb.media.video.options import (
    SampledFrame,
    SamplingMode,
    VideoFacts,
    VideoOptions,
    check_size,
)
from hashdb.media.video.sampling import Sampler

#: Browsers show a GIF frame without a duration for about 0.1 s; shorter than 10 ms is raised.
_DEFAULT_MS = 100
_MIN_MS = 10


def decode_animation(
    data: bytes, kind: str, options: VideoOptions
) -> tuple[VideoFacts, Iterator[SampledFrame]]:
    """Open the animation and check its size now; decode as the frames are read."""
    image = Image.open(io.BytesIO(data))
    try:
        width, height = image.size
        check_size(width, height, options)
    except BaseException:
        image.close()
        raise
    facts = VideoFacts(container=kind, codec=kind, width=width, height=height)
    return facts, _frames(image, options, facts)


def _frames(image: Image.Image, options: VideoOptions, facts: VideoFacts) -> Iterator[SampledFrame]:
    sampler = Sampler(SamplingMode.FPS, options.fps)
    timestamp = 0.0
    with image:
        try:
            for frame in ImageSequence.Iterator(image):
                if facts.decoded_frames >= options.max_decoded_frames:
                    facts.error = (
                        f"stopped after {options.max_decoded_frames} decoded frames (limit)"
                    )
                    break
                facts.decoded_frames += 1
                frame.load()  # WebP sets the frame's duration when it is decoded
                if timestamp > options.max_duration:
                    raise VideoTooLong(
                        f"the animation runs over the limit of {options.max_duration:g} s",
                        limit=options.max_duration,
                    )
                # Every frame of an animation is whole (no keyframes): the first always kept.
                first = facts.decoded_frames == 1
                if sampler.keep(timestamp, key_frame=first):
                    pixels = _pixels(frame, image.size, options)
                    yield SampledFrame.of(pixels, timestamp, key_frame=first)
                timestamp += max(float(frame.info.get("duration") or _DEFAULT_MS), _MIN_MS) / 1000
        except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
            facts.error = f"decoding stopped at {timestamp:.2f} s: {exc}"
    facts.duration = round(timestamp, 3)
    facts.fps = round(facts.decoded_frames / timestamp, 3) if timestamp else 0.0


def _pixels(frame: Image.Image, size: tuple[int, int], options: VideoOptions) -> np.ndarray:
    rgb = frame.convert("RGB")
    new_size = scaled_size(*size, options.frame_size)
    if new_size != rgb.size:
        rgb = rgb.resize(new_size, Image.Resampling.BILINEAR)
    pixels = np.asarray(rgb, dtype=np.uint8)
    return crop_borders(pixels) if options.crop_borders else pixels
