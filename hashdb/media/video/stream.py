"""Video streams (MP4, MOV, WebM, MKV, AVI) decoded with PyAV into sampled frames.

PyAV's wheel ships FFmpeg; no ``ffmpeg`` binary is involved. Frames are decoded in full,
deblocking included (skipping it drifts the picture through every predicted frame). In fps
mode frames nothing refers to are not decoded (``skip_frame='NONREF'``); in keyframes mode
the stream is first read without decoding to find its keyframes, and only those are decoded.

The end of the stream is where its packets end (their time plus duration), not the time of
the last decoded frame: a keyframe stands for the time until the next one, and a file is
only called truncated when its packets stop well before the duration its header states.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter

from hashdb.errors import CorruptMedia, UnsupportedMedia, VideoTooLong
from hashdb.media.video.frames import crop_borders, scaled_size
from hashdb.media.video.options import (
    SampledFrame,
    SamplingMode,
    VideoFacts,
    VideoOptions,
    check_size,
)
from hashdb.media.video.sampling import Sampler, largest_keyframe_gap

if TYPE_CHECKING:
    _Packet = av.Packet[av.video.stream.VideoStream]

#: Damaged packets skipped before decoding gives up.
_MAX_DAMAGED = 50


def decode_stream(
    data: bytes, kind: str, options: VideoOptions
) -> tuple[VideoFacts, Iterator[SampledFrame]]:
    """Open the container and check its limits now; decode as the frames are read."""
    container = _open(data, kind)
    try:
        if not container.streams.video:
            raise UnsupportedMedia(f"the {kind} file has no video stream (audio only?)")
        stream = container.streams.video[0]
        context = stream.codec_context
        width, height = int(context.width or 0), int(context.height or 0)
        check_size(width, height, options)
        stated = _header_duration(container, stream)
        if stated is not None and stated > options.max_duration:
            raise VideoTooLong(
                f"the video is {stated:.1f} s long, over the limit of {options.max_duration:g} s",
                duration=round(stated, 3),
                limit=options.max_duration,
            )
    except BaseException:
        container.close()
        raise
    rate = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
    facts = VideoFacts(
        container=kind,
        codec=str(context.name),
        width=width,
        height=height,
        mode=options.mode,
        fps=round(rate, 3),
    )
    decoder = _StreamDecoder(container, stream, stated, rate, options, facts)
    return facts, decoder.frames()


@dataclass
class _Scan:
    """What reading a stream's packets found: keyframe times and where the packets end."""

    keyframe_times: list[float] = field(default_factory=list)
    #: Keyframe packets kept to decode (keyframes mode).
    keyframes: list[_Packet] = field(default_factory=list)
    end: float | None = None
    error: str | None = None


class _StreamDecoder:
    def __init__(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        stated: float | None,
        rate: float,
        options: VideoOptions,
        facts: VideoFacts,
    ) -> None:
        self.container, self.stream, self.stated = container, stream, stated
        self.options, self.facts = options, facts
        self.frame_step = 1.0 / rate if rate else 0.0
        self.time_base = float(stream.time_base or 0)
        self.start = stream.start_time or 0
        self.rate = rate
        self.last_time = 0.0
        self.error: str | None = None
        self.damaged = 0
        # One scaler for the whole stream: FFmpeg's swscale set-up is not redone per frame.
        self.reformatter = VideoReformatter()

    def frames(self) -> Iterator[SampledFrame]:
        with self.container:
            scan: _Scan | None = None
            mode = self.options.mode
            if mode is SamplingMode.KEYFRAMES:
                scan = self._scan()
                end = scan.end if scan.end is not None else self.stated or 0.0
                if largest_keyframe_gap(scan.keyframe_times, end) > self.options.max_keyframe_gap:
                    # Too few keyframes to stand for the video: sample it at fps after all.
                    mode, scan = SamplingMode.FPS, None
                    self.container.seek(0)
            self.facts.mode = mode
            self._configure(mode)
            packets: Iterable[_Packet | None]
            packet_end: float | None
            if scan is not None:
                packets, packet_end, self.error = [*scan.keyframes, None], scan.end, scan.error
            else:
                packets, packet_end = self.container.demux(self.stream), None
            sampler = Sampler(mode, self.options.fps)
            try:
                for packet in packets:
                    if scan is None and packet is not None:
                        time = self._packet_end(packet)
                        if time is not None:
                            packet_end = time if packet_end is None else max(packet_end, time)
                    for frame in self._decode(packet):
                        timestamp = self._count(frame)
                        self.last_time = max(self.last_time, timestamp)
                        key_frame = bool(frame.key_frame)
                        if sampler.keep(timestamp, key_frame=key_frame):
                            yield self._sampled(frame, timestamp, key_frame)
            except _LimitReached as limit:
                self.error = str(limit)
            except av.error.FFmpegError as exc:
                self.error = f"decoding stopped at {self.last_time:.2f} s: {_message(exc)}"
            self.facts.duration = round(self._end(packet_end, scan), 3)
            self.facts.error = self.error

    def _count(self, frame: av.VideoFrame) -> float:
        """The frame's time, once it is counted against the limits."""
        self.facts.decoded_frames += 1
        decoded = self.facts.decoded_frames
        if decoded > self.options.max_decoded_frames:
            self.facts.decoded_frames -= 1
            raise _LimitReached(
                f"stopped after {self.options.max_decoded_frames} decoded frames (limit)"
            )
        timestamp = self._frame_time(frame, decoded)
        if timestamp > self.options.max_duration:
            raise _LimitReached(f"stopped at {self.options.max_duration:g} s (duration limit)")
        return timestamp

    def _end(self, packet_end: float | None, scan: _Scan | None) -> float:
        """Where the stream ends; sets ``self.error`` when its packets stop short of the
        duration the header states (by more than a second, or 5% of a long video)."""
        if self.error is None:
            end = packet_end if packet_end is not None else self.last_time + self.frame_step
            stated = self.stated
            if stated and end < stated - max(1.0, 0.05 * stated):
                self.error = (
                    f"the stream ends at {end:.2f} s, before its stated {stated:.2f} s (truncated?)"
                )
                return end
            return max(stated or 0.0, end)
        # Decoding stopped early: the last frame does not stand for what was not decoded. A
        # keyframe stands for its group of frames, up to the next keyframe.
        if scan is not None:
            later = [time for time in scan.keyframe_times if time > self.last_time + 1e-6]
            if later:
                return min(later)
            if scan.end is not None:
                return scan.end
        return self.last_time + self.frame_step

    def _configure(self, mode: SamplingMode) -> None:
        context = self.stream.codec_context
        if mode is SamplingMode.KEYFRAMES:
            context.skip_frame = "NONKEY"
        elif self.options.skip_nonref:
            context.skip_frame = "NONREF"
        if self.options.fast_decode:
            context.options = {**context.options, "skip_loop_filter": "all"}
        # Slice threading costs the least CPU per second of video (uploads are decoded in
        # parallel by the server's workers); frame threading finishes one long video sooner.
        self.stream.thread_type = "AUTO" if self.options.frame_threads else "SLICE"

    def _scan(self) -> _Scan:
        """Read every packet without decoding: keyframe times, keyframe packets, the end."""
        scan = _Scan()
        try:
            for packet in self.container.demux(self.stream):
                end = self._packet_end(packet)
                if end is not None:
                    scan.end = end if scan.end is None else max(scan.end, end)
                if packet.is_keyframe and packet.size:
                    scan.keyframes.append(packet)
                    time = self._packet_time(packet)
                    if time is not None:
                        scan.keyframe_times.append(time)
        except av.error.FFmpegError as exc:
            scan.error = f"reading stopped at {scan.end or 0.0:.2f} s: {_message(exc)}"
        return scan

    def _decode(self, packet: _Packet | None) -> list[av.VideoFrame]:
        """The frames a packet completes (None: the frames the decoder still holds); a
        damaged packet is skipped as long as later ones still decode."""
        try:
            return list(self.stream.decode(packet))
        except av.error.InvalidDataError:
            self.damaged += 1
            if self.damaged > _MAX_DAMAGED:
                raise
            return []

    def _sampled(self, frame: av.VideoFrame, timestamp: float, key_frame: bool) -> SampledFrame:
        options, reformatter = self.options, self.reformatter

        def convert() -> np.ndarray:
            width, height = scaled_size(frame.width, frame.height, options.frame_size)
            scaled = reformatter.reformat(frame, width=width, height=height, format="rgb24")
            rgb = scaled.to_ndarray()
            return crop_borders(rgb) if options.crop_borders else rgb

        return SampledFrame(timestamp, convert, key_frame=key_frame)

    def _packet_time(self, packet: _Packet) -> float | None:
        pts = packet.pts if packet.pts is not None else packet.dts
        if pts is None or not self.time_base:
            return None
        return max(0.0, (pts - self.start) * self.time_base)

    def _packet_end(self, packet: _Packet) -> float | None:
        time = self._packet_time(packet)
        if time is None or not packet.size:
            return None
        duration = packet.duration * self.time_base if packet.duration else self.frame_step
        return time + duration

    def _frame_time(self, frame: av.VideoFrame, number: int) -> float:
        if frame.pts is not None and self.time_base:
            return max(0.0, (frame.pts - self.start) * self.time_base)
        return (number - 1) / self.rate if self.rate else float(number - 1)


class _LimitReached(Exception):
    """A limit on decoded frames or duration stopped decoding."""


def _open(data: bytes, kind: str) -> av.container.InputContainer:
    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMedia(
            f"the file starts like a {kind} video but cannot be opened: {_message(exc)}"
        ) from None


def _message(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text)


def _header_duration(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration) / 1_000_000
    return None
