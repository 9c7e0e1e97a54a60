"""What video decoding is asked for and what it hands on: options, frames, stream facts."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from hashdb.errors import MediaTooLarge, MediaTooSmall


class SamplingMode(enum.StrEnum):
    FPS = "fps"
    KEYFRAMES = "keyframes"


@dataclass(frozen=True)
class VideoOptions:
    mode: SamplingMode = SamplingMode.FPS
    #: At most this many sampled frames per second (keyframes are always kept in fps mode).
    fps: float = 1.0
    #: Frames are scaled so their long side is at most this many pixels before hashing.
    frame_size: int = 512
    #: Skip a frame within this many PDQ bits of the previously kept frame; -1 keeps all.
    dedupe_distance: int = 8
    max_duration: float = 3600.0
    max_decoded_frames: int = 200_000
    max_pixels: int = 80_000_000
    min_side: int = 16
    crop_borders: bool = True
    #: Also compute the left-right mirrored hash of every kept frame (for queries).
    mirrored: bool = False
    #: Also hash the central band of every kept frame (robust to captions and watermarks).
    bands: bool = True
    #: In fps mode, do not decode frames no other frame refers to (most B-frames): about 1.7x
    #: less decoding for H.264, and the sampled frames are still at most ~3 frames apart.
    skip_nonref: bool = True
    #: Skip the decoder's deblocking filter: ~35% less H.264 decoding, but the error drifts
    #: through every predicted frame of a group: on detailed, textured footage the sampled
    #: frames then hash up to ~80 PDQ bits from a full decode. Off by default and for every
    #: video hashdb adds or matches; only for experiments on smooth footage.
    fast_decode: bool = False
    #: Decode one video on several cores (FFmpeg frame threads): lower latency for one long
    #: video, ~25% more CPU in total.
    frame_threads: bool = False
    #: Fall back from keyframes to fps sampling when the stream's keyframes are further apart
    #: than this (seconds), including from the last keyframe to the end.
    max_keyframe_gap: float = 10.0


@dataclass(frozen=True, slots=True)
class SampledFrame:
    """One frame chosen for hashing: RGB pixels (borders cropped when asked, long side at
    most ``frame_size``) and its time in seconds from the start of the stream."""

    rgb: np.ndarray
    timestamp: float


@dataclass
class VideoFacts:
    """What decoding learnt about a video, complete once its frames have all been read."""

    container: str
    codec: str
    width: int
    height: int
    #: Seconds the sampled frames stand for: the stream's end, or where decoding stopped.
    duration: float = 0.0
    decoded_frames: int = 0
    mode: SamplingMode = SamplingMode.FPS
    #: Set when the stream is corrupt or truncated, or a limit stopped decoding early: the
    #: frames before the problem are still handed on.
    error: str | None = None
    fps: float = 0.0


def check_size(width: int, height: int, options: VideoOptions) -> None:
    if width * height > options.max_pixels:
        raise MediaTooLarge(
            f"video frames are {width}x{height} = {width * height} pixels, over the limit of "
            f"{options.max_pixels}",
            width=width,
            height=height,
        )
    if width and height and min(width, height) < options.min_side:
        raise MediaTooSmall(
            f"video frames are {width}x{height}; both sides must be at least "
            f"{options.min_side} pixels",
            width=width,
            height=height,
        )
