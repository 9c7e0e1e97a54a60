"""Video decoding and frame hashing: container bytes in, PDQ hashes of sampled frames out.

Containers are recognised by their content, never their name: MP4/MOV (``ftyp``), Matroska and
WebM (EBML), AVI, and animated GIF/WebP. Video streams are decoded with PyAV (its wheel ships
FFmpeg; no ``ffmpeg`` binary is involved); animated GIF/WebP with Pillow, which composites
their frames correctly.

Sampling (``VideoOptions.mode``):

- ``fps``: every keyframe, plus frames so that at most ``fps`` frames per second are kept.
  Reference frames must still be decoded (inter frames depend on them), so decoding is the
  floor; frames nothing refers to are skipped (``skip_frame='NONREF'``), and only the sampled
  frames are scaled (by FFmpeg's swscale, to ``frame_size`` pixels on the long side) and
  hashed.
- ``keyframes``: only keyframes are decoded (``skip_frame='NONKEY'``). Encoders put a keyframe
  at every scene cut and every few seconds, so this is the cheap keyframe-and-scene-change
  mode. A stream with too few keyframes for its length falls back to ``fps``.

Each kept frame has uniform borders cropped (letterboxing, pillarboxing, vertical phone
reposts), is hashed with PDQ, and optionally also mirrored (``pdqhash.compute_dihedral`` gives
the left-right mirror from the same DCT). A frame within ``dedupe_distance`` bits of the
previously kept one is skipped; each kept frame stands for the time until the next one
(``FrameHash.duration``), so match shares are shares of time, not of frame counts.

Corrupt or truncated streams: whatever decodes is hashed and the problem is reported in
``HashedVideo.error``; nothing decodable raises :class:`~hashdb.errors.CorruptMedia`.
"""

from __future__ import annotations

import enum
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import av
import av.error
import numpy as np
import pdqhash
from PIL import Image, ImageSequence

from hashdb.errors import (
    CorruptMedia,
    EmptyMedia,
    MediaTooLarge,
    MediaTooSmall,
    UnsupportedMedia,
    VideoTooLong,
)
from hashdb.hashing.pdq import pdq_vector_to_bytes

#: pdqhash.compute_dihedral order: original, rot90, rot180, rot270, flipX, flipY (= left-right
#: mirror, checked in tests), flip+1, flip-1.
_MIRROR = 5
#: The outermost row/column must be this uniform to start a bar, ...
_BORDER_EDGE_SHARE = 0.98
#: ... and a row/column inside it is bar when at least this share of its pixels ...
_BORDER_SHARE = 0.8
#: ... is within this many gray levels of the outermost row/column's median.
_BORDER_LEVEL = 16
#: Lines (as a share of the side) of non-bar a bar may be interrupted by, e.g. a caption.
_BORDER_GAP = 0.1
#: Never crop more than this share of a side from each edge (a 16:9 frame in a 9:16 canvas has
#: about 34% bars on each of top and bottom).
_BORDER_MAX = 0.42

#: Share of the height cut from the top and from the bottom for the band hash.
BAND_CUT = 0.2

_FTYP_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"})


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
    #: Skip the decoder's deblocking filter: ~35% less H.264 decoding, frames hash within
    #: ~2 PDQ bits of a full decode (measured in bench/video.py's set-up); for queries.
    fast_decode: bool = False
    #: Decode one video on several cores (FFmpeg frame threads): lower latency for one long
    #: video, ~25% more CPU in total.
    frame_threads: bool = False
    #: Fall back from keyframes to fps sampling when keyframes are further apart than this.
    max_keyframe_gap: float = 10.0


@dataclass(frozen=True, slots=True)
class FrameHash:
    """The PDQ hash of one kept frame and the time it stands for."""

    index: int  # position among the kept frames, from 0
    timestamp: float  # seconds from the start of the stream
    duration: float  # seconds until the next kept frame (or the end)
    value: bytes  # 32 bytes of PDQ
    quality: int
    mirrored: bytes | None = None
    #: PDQ of the central band (see :func:`central_band`) and its mirror, when computed.
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
    """What decoding a video produced: container facts, frame hashes, and any decode error."""

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


def sniff_video(data: bytes) -> str | None:
    """The video container the bytes hold (``mp4``, ``mov``, ``webm``, ``mkv``, ``avi``,
    ``gif``, ``webp``), or None. GIF and WebP only count when animated."""
    container = sniff_video_container(data)
    if container is not None:
        return container
    head = data[:64]
    if head.startswith((b"GIF87a", b"GIF89a")) or (
        head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    ):
        return _animated_format(data)
    return None


def sniff_video_container(data: bytes) -> str | None:
    """A video-only container (not GIF/WebP) from the first 64 bytes alone."""
    head = data[:64]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_IMAGE_BRANDS:
            return None
        return "mov" if brand == b"qt  " else "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head else "mkv"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    return None


def _animated_format(data: bytes) -> str | None:
    if data.startswith(b"RIFF") and b"ANIM" not in data[12:64]:
        return None  # a still WebP: no animation chunk in the extended header
    try:
        with Image.open(io.BytesIO(data)) as image:
            if getattr(image, "is_animated", False):
                return "gif" if image.format == "GIF" else "webp"
    except Exception:  # not decodable as an animation: let the image decoder report it
        return None
    return None


def hash_video(data: bytes, options: VideoOptions | None = None) -> HashedVideo:
    """Decode, sample and PDQ-hash a video. Raises a typed :class:`MediaError`."""
    options = options or VideoOptions()
    if not data:
        raise EmptyMedia("the file is empty (0 bytes)")
    kind = sniff_video(data)
    if kind is None:
        raise UnsupportedMedia(
            "not a supported video (MP4, MOV, WebM, MKV, AVI, animated GIF/WebP)",
            bytes=len(data),
        )
    hasher = _FrameHasher(options)
    if kind in ("gif", "webp"):
        video = _decode_animation(data, kind, options, hasher)
    else:
        video = _decode_stream(data, kind, options, hasher)
    if not video.frames and video.decoded_frames == 0:
        raise CorruptMedia(
            f"the {kind} file has no decodable video frames"
            + (f": {video.error}" if video.error else "")
        )
    return video


# --- frames -> hashes ---------------------------------------------------------------------


class _FrameHasher:
    """Crops, hashes and de-duplicates frames in order, assigning each its time span."""

    def __init__(self, options: VideoOptions) -> None:
        self.options = options
        self.frames: list[FrameHash] = []
        self._pending: tuple[float, bytes, int, bytes | None, bytes | None, bytes | None] | None = (
            None
        )

    def add(self, rgb: np.ndarray, timestamp: float) -> None:
        if self.options.crop_borders:
            rgb = crop_borders(rgb)
        value, quality, mirrored = self._pdq(rgb)
        if self._pending is not None and self.options.dedupe_distance >= 0:
            previous = self._pending[1]
            if _bits(previous, value) <= self.options.dedupe_distance:
                return
        band = band_mirrored = None
        if self.options.bands:
            band, _, band_mirrored = self._pdq(central_band(rgb))
        self._flush(timestamp)
        self._pending = (timestamp, value, quality, mirrored, band, band_mirrored)

    def _pdq(self, rgb: np.ndarray) -> tuple[bytes, int, bytes | None]:
        if self.options.mirrored:
            vectors, qualities = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
            return (
                pdq_vector_to_bytes(vectors[0]),
                int(qualities),
                pdq_vector_to_bytes(vectors[_MIRROR]),
            )
        vector, quality = pdqhash.compute(np.ascontiguousarray(rgb))
        return pdq_vector_to_bytes(vector), int(quality), None

    def finish(self, end: float) -> list[FrameHash]:
        self._flush(end)
        return self.frames

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


def _bits(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def crop_borders(rgb: np.ndarray) -> np.ndarray:
    """Cut uniform bars (black, white or any flat colour) off each edge of an RGB frame."""
    height, width = rgb.shape[:2]
    # Measured on the green channel (most of luma) at every second pixel: a quarter of the
    # work of a full gray conversion, and bars are tens of pixels wide.
    step = 2 if min(height, width) >= 64 else 1
    gray = (rgb[::step, ::step, 1] if rgb.ndim == 3 else rgb[::step, ::step]).astype(np.int16)

    def run(lines: np.ndarray, limit: int) -> int:
        """Leading lines (rows of ``lines``) that are bar: nearly all pixels at the level of
        the outermost line. "Nearly all" lets captions or a logo drawn on a bar stay bar."""
        level = int(np.median(lines[0]))
        # The outermost line must be truly uniform: smooth sky or a wall is not a bar.
        if np.mean(np.abs(lines[0] - level) < _BORDER_LEVEL // 2) < _BORDER_EDGE_SHARE:
            return 0
        bar = np.mean(np.abs(lines[: limit + 1] - level) < _BORDER_LEVEL, axis=1) >= _BORDER_SHARE
        # The bar goes on across a short interruption (a caption line written on it) when bar
        # lines follow it again.
        gap_max = max(2, int(len(lines) * _BORDER_GAP))
        end = gap = 0
        for position, is_bar in enumerate(bar.tolist()):
            if is_bar:
                end, gap = position + 1, 0
            else:
                gap += 1
                if gap > gap_max:
                    break
        return min(end, limit)

    max_rows, max_cols = int(gray.shape[0] * _BORDER_MAX), int(gray.shape[1] * _BORDER_MAX)
    top = run(gray, max_rows) * step
    bottom = run(gray[::-1], max_rows) * step
    left = run(gray.T, max_cols) * step
    right = run(gray.T[::-1], max_cols) * step
    # A bar a few pixels thick is usually encoder padding or a thin frame: still worth cutting,
    # but only whole-frame-wide bars of at least 2 px, so noise at an edge is left alone.
    top, bottom, left, right = (v if v >= 2 else 0 for v in (top, bottom, left, right))
    # Letterbox and pillarbox bars are centred; a flat strip on one side only is part of the
    # picture (or a caption bar), and cutting it would change the aspect PDQ sees.
    top, bottom = _centred(top, bottom, height)
    left, right = _centred(left, right, width)
    if not (top or bottom or left or right):
        return rgb
    cropped = rgb[top : height - bottom, left : width - right]
    if cropped.shape[0] < 16 or cropped.shape[1] < 16:
        return rgb  # a flat frame: nothing to crop to
    return cropped


def _centred(first: int, second: int, extent: int) -> tuple[int, int]:
    if abs(first - second) <= max(2, extent // 50):
        return first, second
    both = min(first, second)
    return both, both


def central_band(rgb: np.ndarray) -> np.ndarray:
    """The frame without its top and bottom ``BAND_CUT`` share, where captions, tickers and
    channel watermarks go: PDQ of this band survives overlays that move the full-frame hash
    40-70 bits."""
    height = rgb.shape[0]
    cut = int(height * BAND_CUT)
    return rgb[cut : height - cut] if height - 2 * cut >= 16 else rgb


def _scaled_size(width: int, height: int, frame_size: int) -> tuple[int, int]:
    longest = max(width, height)
    if frame_size <= 0 or longest <= frame_size:
        return width, height
    scale = frame_size / longest
    return max(16, round(width * scale)), max(16, round(height * scale))


# --- PyAV streams -------------------------------------------------------------------------


def _open(data: bytes, kind: str) -> av.container.InputContainer:
    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMedia(
            f"the file starts like a {kind} video but cannot be opened: {_ffmpeg_message(exc)}"
        ) from None


def _ffmpeg_message(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text)


def _decode_stream(
    data: bytes, kind: str, options: VideoOptions, hasher: _FrameHasher
) -> HashedVideo:
    container = _open(data, kind)
    with container:
        if not container.streams.video:
            raise UnsupportedMedia(f"the {kind} file has no video stream (audio only?)")
        stream = container.streams.video[0]
        context = stream.codec_context
        width, height = int(context.width or 0), int(context.height or 0)
        _check_size(width, height, options)
        duration = _header_duration(container, stream)
        if duration is not None and duration > options.max_duration:
            raise VideoTooLong(
                f"the video is {duration:.1f} s long, over the limit of {options.max_duration:g} s",
                duration=round(duration, 3),
                limit=options.max_duration,
            )
        mode = options.mode
        rate = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
        if mode is SamplingMode.KEYFRAMES:
            context.skip_frame = "NONKEY"
        elif options.skip_nonref:
            context.skip_frame = "NONREF"
        if options.fast_decode:
            context.options = {**context.options, "skip_loop_filter": "all"}
        # Slice threading costs the least CPU per second of video (uploads are decoded in
        # parallel by the server's workers); frame threading finishes one long video sooner.
        stream.thread_type = "AUTO" if options.frame_threads else "SLICE"
        error, decoded, last_time = _run_decoder(container, stream, mode, options, hasher)
        keyframes_only = mode is SamplingMode.KEYFRAMES
        end = max(duration or 0.0, last_time + (1.0 / rate if rate else 0.0))
        if keyframes_only and _too_sparse(hasher.frames, last_time, end, options):
            # Too few keyframes to stand for the video: decode it fully after all.
            container.seek(0)
            context.skip_frame = "NONREF" if options.skip_nonref else "DEFAULT"
            hasher = _FrameHasher(options)
            error, decoded, last_time = _run_decoder(
                container, stream, SamplingMode.FPS, options, hasher
            )
            mode = SamplingMode.FPS
            end = max(duration or 0.0, last_time + (1.0 / rate if rate else 0.0))
        frame_step = 1.0 / rate if rate else 0.0
        if (
            error is None
            and duration
            and last_time + frame_step < duration - max(1.0, 0.05 * duration)
        ):
            error = (
                f"the stream ends at {last_time:.2f} s, before its stated {duration:.2f} s "
                "(truncated?)"
            )
        if error is not None:
            end = last_time + frame_step  # the last frame does not stand for what is missing
        frames = hasher.finish(end)
        return HashedVideo(
            container=kind,
            codec=str(context.name),
            width=width,
            height=height,
            duration=round(end, 3),
            frames=frames,
            decoded_frames=decoded,
            mode=mode,
            error=error,
            fps=round(rate, 3),
        )


def _too_sparse(
    frames: list[FrameHash], last_time: float, end: float, options: VideoOptions
) -> bool:
    if not frames:
        return True
    times = [frame.timestamp for frame in frames] + [end]
    return max(b - a for a, b in itertools.pairwise(times)) > options.max_keyframe_gap


def _run_decoder(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    mode: SamplingMode,
    options: VideoOptions,
    hasher: _FrameHasher,
) -> tuple[str | None, int, float]:
    step = 1.0 / options.fps if options.fps > 0 else 0.0
    next_sample = 0.0
    decoded = 0
    last_time = 0.0
    time_base = float(stream.time_base or 0)
    frames = _frames(container, stream)
    error: str | None = None
    try:
        for frame in frames:
            decoded += 1
            if decoded > options.max_decoded_frames:
                error = f"stopped after {options.max_decoded_frames} decoded frames (limit)"
                break
            timestamp = _frame_time(frame, time_base, decoded, stream)
            if timestamp > options.max_duration:
                error = f"stopped at {options.max_duration:g} s (duration limit)"
                break
            last_time = max(last_time, timestamp)
            keep = (
                mode is SamplingMode.KEYFRAMES
                or frame.key_frame
                or step == 0.0
                or timestamp >= next_sample - 1e-6
            )
            if not keep:
                continue
            if mode is SamplingMode.FPS and step:
                next_sample = max(next_sample + step, timestamp + step * 0.5)
            new_w, new_h = _scaled_size(frame.width, frame.height, options.frame_size)
            rgb = frame.to_ndarray(width=new_w, height=new_h, format="rgb24")
            hasher.add(rgb, timestamp)
    except av.error.FFmpegError as exc:
        error = f"decoding stopped at {last_time:.2f} s: {_ffmpeg_message(exc)}"
    return error, decoded, last_time


def _frames(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> Iterator[av.VideoFrame]:
    """Decoded frames; a damaged packet is skipped as long as later ones still decode."""
    damaged = 0
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            damaged += 1
            if damaged > 50:
                raise


def _frame_time(
    frame: av.VideoFrame, time_base: float, number: int, stream: av.video.stream.VideoStream
) -> float:
    if frame.pts is not None and time_base:
        start = stream.start_time or 0
        return max(0.0, (frame.pts - start) * time_base)
    rate = float(stream.average_rate or 0)
    return (number - 1) / rate if rate else float(number - 1)


def _header_duration(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration) / 1_000_000
    return None


def _check_size(width: int, height: int, options: VideoOptions) -> None:
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


# --- animated GIF / WebP ------------------------------------------------------------------


def _decode_animation(
    data: bytes, kind: str, options: VideoOptions, hasher: _FrameHasher
) -> HashedVideo:
    step = 1.0 / options.fps if options.fps > 0 else 0.0
    decoded = 0
    timestamp = 0.0
    next_sample = 0.0
    error: str | None = None
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        _check_size(width, height, options)
        try:
            for frame in ImageSequence.Iterator(image):
                decoded += 1
                if decoded > options.max_decoded_frames:
                    error = f"stopped after {options.max_decoded_frames} decoded frames (limit)"
                    break
                frame.load()  # WebP sets the frame's duration when it is decoded
                if timestamp > options.max_duration:
                    raise VideoTooLong(
                        f"the animation runs over the limit of {options.max_duration:g} s",
                        limit=options.max_duration,
                    )
                if decoded == 1 or step == 0.0 or timestamp >= next_sample - 1e-6:
                    next_sample = max(next_sample + step, timestamp + step * 0.5)
                    rgb = frame.convert("RGB")
                    new_size = _scaled_size(width, height, options.frame_size)
                    if new_size != rgb.size:
                        rgb = rgb.resize(new_size, Image.Resampling.BILINEAR)
                    hasher.add(np.asarray(rgb, dtype=np.uint8), timestamp)
                # GIF frames without a duration display for about 0.1 s in browsers.
                timestamp += max(float(frame.info.get("duration") or 100), 10.0) / 1000.0
        except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
            error = f"decoding stopped at {timestamp:.2f} s: {exc}"
    return HashedVideo(
        container=kind,
        codec=kind,
        width=width,
        height=height,
        duration=round(timestamp, 3),
        frames=hasher.finish(timestamp),
        decoded_frames=decoded,
        mode=SamplingMode.FPS,
        error=error,
        fps=round(decoded / timestamp, 3) if timestamp else 0.0,
    )
