"""What video decoding is asked for and what it hands on: options, frames, stream facts."""

from __future__ import annotations

import enum
from collections.abc import Callable
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
    #: Hash frames at this rate first (and every keyframe); the frames sampled at ``fps``
    #: between two of them are hashed by halving while two hashed neighbours are more than
    #: ``refine_distance`` bits apart, i.e. where the picture changes. 0 hashes every sampled
    #: frame. Twice the de-duplication distance: between hashed neighbours that close,
    #: de-duplication would have kept at most about one frame anyway.
    coarse_fps: float = 0.0
    refine_distance: int = 16
    #: Fall back from keyframes to fps sampling when the stream's keyframes are further apart
    #: than this (seconds), including from the last keyframe to the end.
    max_keyframe_gap: float = 10.0


class SampledFrame:
    """One frame the sampler kept, at ``timestamp`` seconds from the start of the stream.

    Its RGB pixels (borders cropped when asked, long side at most ``frame_size``) are only
    scaled and converted when :attr:`rgb` is first read: a hasher may pass over a frame."""

    __slots__ = ("_convert", "_rgb", "key_frame", "timestamp")

    def __init__(
        self, timestamp: float, convert: Callable[[], np.ndarray], *, key_frame: bool = False
    ) -> None:
        self.timestamp = timestamp
        self.key_frame = key_frame
        self._convert: Callable[[], np.ndarray] | None = convert
        self._rgb: np.ndarray | None = None

    @classmethod
    def of(cls, rgb: np.ndarray, timestamp: float, *, key_frame: bool = False) -> SampledFrame:
        return cls(timestamp, lambda: rgb, key_frame=key_frame)

    @property
    def rgb(self) -> np.ndarray:
        if self._rgb is None:
            assert self._convert is not None
            self._rgb, self._convert = self._convert(), None  # the decoded frame is let go
        return self._rgb


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
