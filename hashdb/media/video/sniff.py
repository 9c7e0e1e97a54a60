"""Which video container some bytes hold, from their content, never their name."""

from __future__ import annotations

import io

from PIL import Image

_FTYP_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"})


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
