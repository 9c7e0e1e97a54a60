"""Video frame hashes (``vpdq``): PDQ of every sampled frame, and the value of a video entry.

:func:`hash_video` reads the frames :func:`hashdb.media.video.decode_video` hands on and hashes
each with PDQ, optionally also its left-right mirror (``pdqhash.compute_dihedral`` gives it
from the same DCT) and its central band (robust to captions and watermarks). A frame within
``dedupe_distance`` bits of the previously kept one is skipped; each kept frame stands for the
time until the next one (``FrameHash.duration``), so match shares are shares of time, not of
frame counts.

A video is matched by its frames (``hashdb.matching.video``); the entry's own value
(:func:`fingerprint`) only has to identify the same sampled frames again, so that adding a
video twice is idempotent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pdqhash

from hashdb.errors import CorruptMedia
from hashdb.hashing.base import hamming_distance
from hashdb.hashing.pdq import pdq_vector_to_bytes
from hashdb.media.video import (
    SampledFrame,
    SamplingMode,
    VideoFacts,
    VideoOptions,
    central_band,
    crop_borders,
    decode_video,
)

#: The algorithm name of a video entry.
VIDEO_ALGORITHM = "vpdq"

#: pdqhash.compute_dihedral order: original, rot90, rot180, rot270, flipX, flipY (= left-right
#: mirror, checked in tests), flip+1, flip-1.
MIRROR = 5


@dataclass(frozen=True, slots=True)
class FrameHash:
    """The PDQ hash of one kept frame and the time it stands for."""

    index: int  # position among the kept frames, from 0
    timestamp: float  # seconds from the start of the stream
    duration: float  # seconds until the next kept frame (or the end)
    value: bytes  # 32 bytes of PDQ
    quality: int
    mirrored: bytes | None = None
    #: PDQ of the central band (see :func:`~hashdb.media.video.central_band`) and its mirror.
    band: bytes | None = None
    band_mirrored: bytes | None = None

    @property
    def hex(self) -> str:
        return self.value.hex()

    @property
    def end(self) -> float:
        return self.timestamp + self.duration


@dataclass
class HashedVideo:
    """What decoding and hashing a video produced: container facts, frame hashes, any error."""

    container: str
    codec: str
    width: int
    height: int
    duration: float
    frames: list[FrameHash]
    decoded_frames: int
    mode: SamplingMode
    #: Set when the stream is corrupt or truncated, or a limit stopped decoding early: the
    #: frames before the problem are still hashed.
    error: str | None = None
    fps: float = 0.0

    @classmethod
    def of(cls, facts: VideoFacts, frames: list[FrameHash]) -> HashedVideo:
        return cls(
            container=facts.container,
            codec=facts.codec,
            width=facts.width,
            height=facts.height,
            duration=facts.duration,
            frames=frames,
            decoded_frames=facts.decoded_frames,
            mode=facts.mode,
            error=facts.error,
            fps=facts.fps,
        )


def hash_video(data: bytes, options: VideoOptions | None = None) -> HashedVideo:
    """Decode, sample and PDQ-hash a video. Raises a typed :class:`MediaError`."""
    options = options or VideoOptions()
    facts, frames = decode_video(data, options)
    hasher = FrameHasher(options)
    if options.coarse_fps > 0 and options.coarse_fps < options.fps:
        _coarse_then_fine(frames, hasher, options)
    else:
        for frame in frames:
            hasher.add(frame.rgb, frame.timestamp)
    hashed = hasher.finish(facts.duration)
    if not hashed and facts.decoded_frames == 0:
        raise CorruptMedia(
            f"the {facts.container} file has no decodable video frames"
            + (f": {facts.error}" if facts.error else "")
        )
    return HashedVideo.of(facts, hashed)


def _coarse_then_fine(
    frames: Iterable[SampledFrame], hasher: FrameHasher, options: VideoOptions
) -> None:
    """Hash every keyframe and frames ``1 / coarse_fps`` apart ("anchors"); the sampled frames
    between two anchors wait, unconverted. When the two anchors are more than
    ``refine_distance`` bits apart the middle waiting frame is hashed, and each half is split
    the same way, so hashed neighbours end up at most that far apart (or ``1 / fps`` s apart
    where the picture moves faster). A still grabbed anywhere is then within about half that
    distance of a hashed frame, with far fewer frames hashed where the picture changes slowly."""
    step = 1.0 / options.coarse_fps
    waiting: list[SampledFrame] = []
    previous: bytes | None = None
    next_anchor = 0.0

    def refine(left: bytes, between: list[SampledFrame], right: bytes) -> None:
        """Hash the middle waiting frame while its neighbours are too far apart, in order."""
        if not between or hamming_distance(left, right) <= options.refine_distance:
            return
        middle = len(between) // 2
        frame = between[middle]
        hashed = hasher.pdq(frame.rgb)
        refine(left, between[:middle], hashed[0])
        hasher.add(frame.rgb, frame.timestamp, hashed)
        refine(hashed[0], between[middle + 1 :], right)

    def anchor(frame: SampledFrame) -> None:
        nonlocal previous
        hashed = hasher.pdq(frame.rgb)
        if previous is not None:
            refine(previous, waiting, hashed[0])
        waiting.clear()
        hasher.add(frame.rgb, frame.timestamp, hashed)
        previous = hashed[0]

    for frame in frames:
        if frame.key_frame or previous is None or frame.timestamp >= next_anchor - 1e-6:
            next_anchor = max(next_anchor + step, frame.timestamp + step * 0.5)
            anchor(frame)
        else:
            waiting.append(frame)
    if waiting:  # the end of the video after the last anchor: its last frame is one
        anchor(waiting.pop())


@dataclass(frozen=True, slots=True)
class ImageProbe:
    """The hashes of a query image used against video frames: the frame as it is (borders
    cropped as a video frame's are), its mirror, and the central band of each."""

    value: bytes
    quality: int
    mirrored: bytes
    band: bytes
    band_mirrored: bytes


def probe_image(rgb: np.ndarray) -> ImageProbe:
    hasher = FrameHasher(VideoOptions(mirrored=True))
    cropped = crop_borders(rgb)
    value, quality, mirrored = hasher.pdq(cropped)
    band, _, band_mirrored = hasher.pdq(central_band(cropped))
    assert mirrored is not None and band_mirrored is not None
    return ImageProbe(value, quality, mirrored, band, band_mirrored)


def fingerprint(frames: Iterable[bytes]) -> bytes:
    """SHA-256 of the frame hashes in order."""
    digest = hashlib.sha256()
    for value in frames:
        digest.update(value)
    return digest.digest()


class FrameHasher:
    """Hashes and de-duplicates frames in order, assigning each its time span."""

    def __init__(self, options: VideoOptions) -> None:
        self.options = options
        self.frames: list[FrameHash] = []
        self._pending: tuple[float, bytes, int, bytes | None, bytes | None, bytes | None] | None = (
            None
        )

    def add(
        self,
        rgb: np.ndarray,
        timestamp: float,
        hashed: tuple[bytes, int, bytes | None] | None = None,
    ) -> None:
        """Hash the next frame (or take its ``hashed`` :meth:`pdq`) and keep it unless it
        repeats the previous kept frame."""
        value, quality, mirrored = hashed or self.pdq(rgb)
        if (
            self._pending is not None
            and self.options.dedupe_distance >= 0
            and hamming_distance(self._pending[1], value) <= self.options.dedupe_distance
        ):
            return
        band = band_mirrored = None
        if self.options.bands:
            band, _, band_mirrored = self.pdq(central_band(rgb))
        self._flush(timestamp)
        self._pending = (timestamp, value, quality, mirrored, band, band_mirrored)

    def finish(self, end: float) -> list[FrameHash]:
        self._flush(end)
        return self.frames

    def pdq(self, rgb: np.ndarray) -> tuple[bytes, int, bytes | None]:
        """PDQ, quality and (when asked) the mirror's PDQ of one frame."""
        if self.options.mirrored:
            vectors, qualities = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
            return (
                pdq_vector_to_bytes(vectors[0]),
                int(qualities),
                pdq_vector_to_bytes(vectors[MIRROR]),
            )
        vector, quality = pdqhash.compute(np.ascontiguousarray(rgb))
        return pdq_vector_to_bytes(vector), int(quality), None

    def _flush(self, until: float) -> None:
        if self._pending is None:
            return
        timestamp, value, quality, mirrored, band, band_mirrored = self._pending
        self.frames.append(
            FrameHash(
                index=len(self.frames),
                timestamp=round(timestamp, 3),
                duration=round(max(until - timestamp, 0.0), 3),
                value=value,
                quality=quality,
                mirrored=mirrored,
                band=band,
                band_mirrored=band_mirrored,
            )
        )
        self._pending = None
