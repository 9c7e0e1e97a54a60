"""Video decoding: container bytes in, sampled frames out, ready for the frame hashers.

Containers are recognised by their content, never their name (:mod:`.sniff`): MP4/MOV
(``ftyp``), Matroska and WebM (EBML), AVI, and animated GIF/WebP. Video streams are decoded
with PyAV (:mod:`.stream`), animated GIF/WebP with Pillow (:mod:`.animation`).

Sampling (``VideoOptions.mode``, :mod:`.sampling`):

- ``fps``: every keyframe, plus frames so that at most ``fps`` frames per second are kept.
  Reference frames must still be decoded (inter frames depend on them), so decoding is the
  floor; frames nothing refers to are skipped (``skip_frame='NONREF'``), and only the sampled
  frames are scaled (by FFmpeg's swscale, to ``frame_size`` pixels on the long side).
- ``keyframes``: only keyframes are decoded. Encoders put a keyframe at every scene cut and
  every few seconds, so this is the cheap keyframe-and-scene-change mode. A stream whose
  keyframes are more than ``max_keyframe_gap`` seconds apart is sampled at ``fps`` instead.

Each kept frame has uniform borders cropped (:mod:`.frames`: letterboxing, pillarboxing,
vertical phone reposts) before it is handed on; hashing it is :mod:`hashdb.hashing.vpdq`'s job.

Corrupt or truncated streams: whatever decodes is handed on and the problem is reported in
``VideoFacts.error``; nothing decodable raises :class:`~hashdb.errors.CorruptMedia` (from the
hasher, which sees whether any frame came).
"""

from __future__ import annotations

from collections.abc import Iterator

from hashdb.errors import EmptyMedia, UnsupportedMedia
from hashdb.media.video.animation import decode_animation
from hashdb.media.video.frames import BAND_CUT, central_band, crop_borders, scaled_size
from hashdb.media.video.options import (
    SampledFrame,
    SamplingMode,
    VideoFacts,
    VideoOptions,
)
from hashdb.media.video.sniff import sniff_video, sniff_video_container

__all__ = [
    "BAND_CUT",
    "SampledFrame",
    "SamplingMode",
    "VideoFacts",
    "VideoOptions",
    "central_band",
    "crop_borders",
    "decode_video",
    "scaled_size",
    "sniff_video",
    "sniff_video_container",
]


def decode_video(
    data: bytes, options: VideoOptions | None = None
) -> tuple[VideoFacts, Iterator[SampledFrame]]:
    """The video's facts and its sampled frames, decoded as they are read. The facts
    (duration, decoded frames, error) are complete once the frames have all been read.
    Raises a typed :class:`~hashdb.errors.MediaError` for what cannot be opened."""
    options = options or VideoOptions()
    if not data:
        raise EmptyMedia("the file is empty (0 bytes)")
    kind = sniff_video(data)
    if kind is None:
        raise UnsupportedMedia(
            "not a supported video (MP4, MOV, WebM, MKV, AVI, animated GIF/WebP)",
            bytes=len(data),
        )
    if kind in ("gif", "webp"):
        return decode_animation(data, kind, options)
    # PyAV loads with the first video: an API serving hash lookups and images never needs it.
    from hashdb.media.video.stream import decode_stream

    return decode_stream(data, kind, options)
