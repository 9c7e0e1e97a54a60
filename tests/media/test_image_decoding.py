"""Safe decoding: every kind of bad input becomes one typed error; good input comes out RGB,
upright and flattened."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from hashdb.errors import (
    CorruptMedia,
    EmptyMedia,
    MediaError,
    MediaTooLarge,
    MediaTooSmall,
    UnsupportedMedia,
)
from hashdb.hashing import ALGORITHMS
from hashdb.media import DecodeOptions, decode_image
from hashdb.testing.images import encode, scene


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions: the classic decompression-bomb shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_supported_formats_decode_to_rgb(fmt: str) -> None:
    image = decode_image(encode(scene(1, (200, 150)), fmt))
    assert image.rgb.mode == "RGB"
    assert image.original_size == (200, 150)
    assert image.rgb_array.shape == (150, 200, 3)


def test_empty_file() -> None:
    with pytest.raises(EmptyMedia):
        decode_image(b"")


@pytest.mark.parametrize(
    "data",
    [b"hello, this is text", b"%PDF-1.4\n...", b"\x00" * 1000, b"<html></html>"],
    ids=["text", "pdf", "zeros", "html"],
)
def test_non_images_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as error:
        decode_image(data)
    assert error.value.http_status == 415


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_files_are_corrupt(fmt: str) -> None:
    data = encode(scene(2), fmt)
    with pytest.raises(MediaError) as error:
        decode_image(data[: len(data) // 3])
    assert isinstance(error.value, CorruptMedia | UnsupportedMedia)


def test_corrupt_jpeg_body() -> None:
    data = bytearray(encode(scene(3)))
    data[400:4000] = b"\xff" * 3600
    with pytest.raises(MediaError):
        decode_image(bytes(data))


def test_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(MediaTooLarge) as error:
        decode_image(_png_header_only(100_000, 100_000))
    assert error.value.details["width"] == 100_000


def test_pixel_limit_is_configurable() -> None:
    data = encode(scene(4, (400, 300)), "PNG")
    decode_image(data, DecodeOptions(max_pixels=120_000))
    with pytest.raises(MediaTooLarge):
        decode_image(data, DecodeOptions(max_pixels=119_999))


@pytest.mark.parametrize("size", [(1, 1), (15, 400), (400, 8)])
def test_tiny_images_are_refused(size: tuple[int, int]) -> None:
    with pytest.raises(MediaTooSmall):
        decode_image(encode(Image.new("RGB", size, (10, 20, 30)), "PNG"))


def test_exif_orientation_is_applied() -> None:
    upright = scene(5, (300, 200))
    rotated = upright.transpose(Image.Transpose.ROTATE_90)  # stored sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buffer = io.BytesIO()
    rotated.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    decoded = decode_image(buffer.getvalue())
    assert decoded.size == (300, 200)
    pdq = ALGORITHMS["pdq"]
    assert pdq.compute(decoded).distance(pdq.compute(decode_image(encode(upright)))) <= 10


def test_malformed_exif_does_not_lose_the_image() -> None:
    buffer = io.BytesIO()
    scene(6).save(buffer, "JPEG", exif=b"Exif\x00\x00garbage-not-tiff")
    assert decode_image(buffer.getvalue()).size == (640, 480)


def test_alpha_is_flattened_onto_white() -> None:
    rgba = Image.new("RGBA", (64, 64), (255, 0, 0, 0))  # fully transparent red
    decoded = decode_image(encode(rgba, "PNG"))
    assert decoded.rgb.getpixel((10, 10)) == (255, 255, 255)


def test_palette_transparency_is_flattened() -> None:
    image = Image.new("P", (64, 64), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.info["transparency"] = 0
    decoded = decode_image(encode(image, "PNG", transparency=0))
    assert decoded.rgb.getpixel((5, 5)) == (255, 255, 255)


def test_sixteen_bit_grayscale_is_scaled_not_clipped() -> None:
    array = (np.linspace(0, 65535, 128 * 128).reshape(128, 128)).astype(np.uint16)
    decoded = decode_image(encode(Image.fromarray(array), "PNG"))
    pixels = np.asarray(decoded.rgb)
    assert pixels.max() == 255 and pixels.min() == 0


def test_gif_uses_first_frame() -> None:
    frames = [Image.new("RGB", (64, 64), colour) for colour in [(255, 0, 0), (0, 0, 255)]]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    decoded = decode_image(buffer.getvalue())
    red, _, blue = decoded.rgb.getpixel((5, 5))
    assert red > 200 and blue < 50


def _draft_decode(data: bytes, side: int) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (side, side))
    return np.asarray(image.convert("RGB"))


def _rotated_jpeg(size: tuple[int, int], orientation: int) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    scene(7, size).save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def test_large_jpeg_is_decoded_at_reduced_size() -> None:
    decoded = decode_image(encode(scene(7, (1920, 1080))), DecodeOptions(decode_size=512))
    assert decoded.original_size == (1920, 1080)
    assert min(decoded.size) < 512 <= min(decoded.rgb_array_size)
    assert decoded.rgb_array_size[0] < 1920


@pytest.mark.parametrize(("size", "orientation"), [((1920, 1080), 1), ((3840, 2160), 6)])
def test_a_large_jpeg_is_hashed_from_the_pixels_pdq_would_get_by_box_reduction(
    size: tuple[int, int], orientation: int
) -> None:
    """The DCT scaling does the even part of PDQ's reduction: the hashes see as many pixels
    as before from a smaller decode, and the detail stages still get the pixels a plain
    ``decode_size`` decode holds, turned upright like the first, sized from the header."""
    data = _rotated_jpeg(size, orientation)
    decoded = decode_image(data, DecodeOptions(decode_size=512))
    expected = _draft_decode(data, 512)
    if orientation == 6:
        expected = np.rot90(expected, -1)
    assert decoded.pdq_array.shape[:2] == tuple(-(-side // 2) for side in expected.shape[:2])
    assert decoded.size == decoded.pdq_array.shape[1::-1]  # nothing left to box-reduce
    width, height = decoded.rgb_array_size
    assert "rgb_array" not in decoded.__dict__  # the size came without decoding
    assert decoded.rgb_array.shape == (height, width, 3) == expected.shape
    assert np.array_equal(decoded.rgb_array, expected)


@pytest.mark.parametrize("size", [(1280, 720), (640, 480), (2560, 1440)])
def test_jpegs_whose_reduction_for_pdq_is_odd_or_none_keep_their_decode(
    size: tuple[int, int],
) -> None:
    """A 1280x720 screenshot is decoded whole (its regions are found in those pixels), and
    a 1440p JPEG halved, as ``decode_size`` asks: no DCT step fits a reduction by 3."""
    data = encode(scene(7, size))
    decoded = decode_image(data, DecodeOptions(decode_size=512))
    assert np.array_equal(np.asarray(decoded.rgb), _draft_decode(data, 512))
    assert decoded.rgb_array_size == decoded.size


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_hashes_come_from_a_small_decode_and_detail_from_a_larger_one(fmt: str) -> None:
    """At decode_size 256 a 1080p picture is hashed from 480x270 pixels; the stages that look
    at crops get 960x540 (decoded again, upright like the first) only when they ask."""
    data = encode(scene(9, (1920, 1080)), fmt)
    decoded = decode_image(data, DecodeOptions(decode_size=256))
    assert min(decoded.size) >= 256 and max(decoded.size) <= 480
    detail = decoded.rgb_array
    assert min(detail.shape[:2]) >= 512 and detail.shape[1] < 1920
    larger = decode_image(data, DecodeOptions(decode_size=512))
    assert detail.shape == larger.rgb_array.shape
    assert np.array_equal(detail, larger.rgb_array)
    small = decode_image(encode(scene(9, (640, 360)), fmt), DecodeOptions(decode_size=256))
    # Not reduced: no second decode.
    assert small.rgb_array.shape[:2] == (small.size[1], small.size[0])


@pytest.mark.parametrize(("size", "decode_size"), [((640, 480), 512), ((1920, 1080), 256)])
def test_a_crop_of_the_detail_pixels_is_the_same_before_and_after_the_whole_array(
    size: tuple[int, int], decode_size: int
) -> None:
    """A crop cut before ``rgb_array`` exists (only the box converted) holds the very
    pixels of the whole array's slice, also when the detail needs a second decode."""
    data = encode(scene(4, size))
    box = (13, 7, 301, 250)
    early = decode_image(data, DecodeOptions(decode_size=decode_size))
    width, height = early.rgb_array_size
    crop = early.detail_crop(box)
    late = decode_image(data, DecodeOptions(decode_size=decode_size))
    assert late.rgb_array.shape[:2] == (height, width)
    assert late.rgb_array_size == (width, height)
    assert np.array_equal(crop, late.detail_crop(box))
    assert np.array_equal(crop, late.rgb_array[7:250, 13:301])


def test_large_png_is_reduced_like_jpeg() -> None:
    decoded = decode_image(encode(scene(8, (2048, 1536)), "PNG"), DecodeOptions(decode_size=512))
    assert min(decoded.size) >= 512 and decoded.size[0] < 2048
