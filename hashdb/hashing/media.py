"""Media in, every hash out: the step between decoding and matching.

:class:`MediaHasher` reads a file or takes bytes, refuses what is over the limits, sniffs
whether it is an image or a video, decodes it (:mod:`hashdb.media`) and computes every hash
(:data:`hashdb.hashing.ALGORITHMS`, and the frame hashes of a video) into one
:class:`MediaHashes`. Adding and matching both start here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hashdb.errors import FileNotReadable, MediaTooLarge, UploadTooLarge
from hashdb.hashing import ALGORITHMS, Digest, get_algorithm
from hashdb.hashing.vpdq import VIDEO_ALGORITHM, HashedVideo, fingerprint, hash_video
from hashdb.media import DecodeOptions, PreparedImage, decode_image
from hashdb.media.thumbnail import Picture, image_thumbnail, video_strip
from hashdb.media.video import (
    SamplingMode,
    VideoOptions,
    sniff_video,
    sniff_video_container,
)
from hashdb.settings import Settings


@dataclass(frozen=True)
class MediaHashes:
    """Every hash of one piece of media, plus what was learnt decoding it."""

    digests: list[Digest]
    format: str
    width: int
    height: int
    size_bytes: int
    #: Set for videos (and animated GIF/WebP): the sampled frames and what decoding found.
    video: HashedVideo | None = None

    @property
    def warnings(self) -> list[str]:
        """What the caller should be told although hashing succeeded: a video only partly
        decoded (corrupt, truncated, or stopped at a limit)."""
        if self.video is not None and self.video.error:
            return [f"only part of the video was hashed: {self.video.error}"]
        return []

    def get(self, algorithm: str) -> Digest | None:
        return next((d for d in self.digests if d.algorithm == algorithm), None)

    @property
    def sha256(self) -> str | None:
        digest = self.get("sha256")
        return digest.hex if digest else None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {digest.algorithm: digest.hex for digest in self.digests}
        pdq = self.get("pdq")
        if pdq is not None:
            body["pdq_quality"] = pdq.quality
        media: dict[str, Any] = {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "bytes": self.size_bytes,
        }
        if self.video is not None:
            body[VIDEO_ALGORITHM] = fingerprint(f.value for f in self.video.frames).hex()
            media.update(
                kind="video",
                codec=self.video.codec,
                duration=self.video.duration,
                frames=len(self.video.frames),
                decoded_frames=self.video.decoded_frames,
                sampling=self.video.mode.value,
                decode_error=self.video.error,
            )
        return {"hashes": body, "media": media}

    def frames_dict(self) -> list[dict[str, Any]]:
        """The sampled frames of a video: time, PDQ, quality (``hashdb hash --frames``)."""
        frames = self.video.frames if self.video is not None else []
        return [
            {
                "index": f.index,
                "timestamp": f.timestamp,
                "duration": f.duration,
                "pdq": f.hex,
                "quality": f.quality,
            }
            for f in frames
        ]


@dataclass(frozen=True)
class HashedMedia:
    """A piece of media as the matching pipeline takes it: its hashes and, for an image,
    the decoded pixels the robust stages look at."""

    hashes: MediaHashes
    image: PreparedImage | None = None
    #: The bytes of a video (an image's are in ``image``), for :meth:`thumbnail`.
    data: bytes = b""

    def thumbnail(self) -> Picture:
        """A small picture of it for the console: the image scaled down, or a strip of a
        few of a video's frames (:mod:`hashdb.media.thumbnail`)."""
        if self.image is not None:
            return image_thumbnail(self.image.rgb)
        video = self.hashes.video
        times = [frame.timestamp for frame in video.frames] if video is not None else []
        return video_strip(self.data, times, animated=self.hashes.format in ("gif", "webp"))


class MediaHasher:
    """Reads, decodes and hashes media under the limits of one :class:`Settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def decode_options(self) -> DecodeOptions:
        return DecodeOptions(
            max_pixels=self.settings.max_pixels,
            min_side=self.settings.min_side,
            decode_size=self.settings.decode_size,
            pixel_budget=self.settings.decode_pixel_budget,
        )

    def upload_limit(self, head: bytes) -> int:
        """The byte limit for media starting with ``head``: videos have their own."""
        if sniff_video_container(head) is not None:
            return self.settings.video_max_bytes
        return self.settings.max_upload_bytes

    def check_upload_size(self, size: int, limit: int | None = None) -> None:
        limit = self.settings.max_upload_bytes if limit is None else limit
        if size > limit:
            raise UploadTooLarge(
                f"upload of {size} bytes is over the limit of {limit}", limit=limit
            )

    def read_file(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                limit = self.upload_limit(handle.read(64))
            if size > limit:
                raise MediaTooLarge(f"{size} bytes is over the limit of {limit}", bytes=size)
            return path.read_bytes()
        except FileNotFoundError:
            raise FileNotReadable("no such file") from None
        except IsADirectoryError:
            raise FileNotReadable("is a directory") from None
        except PermissionError:
            raise FileNotReadable("permission denied") from None
        except OSError as exc:
            raise FileNotReadable(f"cannot read the file: {exc.strerror or exc}") from None

    def decode(self, data: bytes) -> PreparedImage:
        return decode_image(data, self.decode_options)

    def video_options(self, *, reference: bool) -> VideoOptions:
        """Sampling for a query video (sparse, with mirrored hashes) or for a video added to a
        list (dense, so stills and short clips land near a stored frame)."""
        settings = self.settings
        return VideoOptions(
            mode=SamplingMode.FPS if reference else SamplingMode(settings.video_mode),
            fps=settings.video_reference_fps if reference else settings.video_fps,
            frame_size=settings.video_frame_size,
            dedupe_distance=settings.video_dedupe_distance,
            coarse_fps=settings.video_reference_coarse_fps if reference else 0.0,
            refine_distance=2 * max(settings.video_dedupe_distance, 1),
            max_duration=settings.video_max_duration,
            max_decoded_frames=settings.video_max_frames,
            max_pixels=settings.max_pixels,
            min_side=settings.min_side,
            mirrored=not reference,
            frame_threads=settings.video_frame_threads,
        )

    def hash_video(
        self, data: bytes, algorithms: Sequence[str] | None = None, *, reference: bool = False
    ) -> MediaHashes:
        video = hash_video(data, self.video_options(reference=reference))
        names = (
            {"md5", "sha256"} if algorithms is None else {get_algorithm(a).name for a in algorithms}
        )
        digests = []
        if "md5" in names:
            digests.append(Digest("md5", hashlib.md5(data, usedforsecurity=False).digest()))
        if "sha256" in names:
            digests.append(Digest("sha256", hashlib.sha256(data).digest()))
        return MediaHashes(
            digests=digests,
            format=video.container,
            width=video.width,
            height=video.height,
            size_bytes=len(data),
            video=video,
        )

    def hash_image(
        self, image: PreparedImage, data: bytes, algorithms: Sequence[str] | None = None
    ) -> MediaHashes:
        names = (
            list(ALGORITHMS) if algorithms is None else [get_algorithm(a).name for a in algorithms]
        )
        width, height = image.original_size
        return MediaHashes(
            digests=[ALGORITHMS[name].compute(image) for name in names],
            format=image.format,
            width=width,
            height=height,
            size_bytes=len(data),
        )

    def hash_bytes(self, data: bytes, algorithms: Sequence[str] | None = None) -> MediaHashes:
        """Every hash of an image, or of a video sampled as it is added to a list (so ``hashdb
        hash`` shows the vpdq value ``add`` stores)."""
        if sniff_video(data) is not None:
            return self.hash_video(data, algorithms, reference=True)
        return self.hash_image(self.decode(data), data, algorithms)

    def hash_file(self, path: Path, algorithms: Sequence[str] | None = None) -> MediaHashes:
        return self.hash_bytes(self.read_file(path), algorithms)

    def for_matching(self, data: bytes) -> HashedMedia:
        """An upload to match: a video sampled as a query, or an image with its pixels."""
        if sniff_video(data) is not None:
            return HashedMedia(self.hash_video(data, reference=False), data=data)
        image = self.decode(data)
        return HashedMedia(self.hash_image(image, data), image)

    def for_adding(self, data: bytes) -> HashedMedia:
        """Media to add to a list: a video sampled densely, or an image with its pixels (the
        robust stages keep reference data derived from them)."""
        if sniff_video(data) is not None:
            return HashedMedia(self.hash_video(data, reference=True), data=data)
        image = self.decode(data)
        return HashedMedia(self.hash_image(image, data), image)
