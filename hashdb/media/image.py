"""Safe still-image decoding: one decode, shared by every hasher.

Decoding is where hostile input lands first, so every failure becomes one typed
:class:`~hashdb.errors.MediaError`: unknown formats, truncated or corrupt files,
decompression bombs (checked from the header, before any pixel is decoded), and images too
small to hash. Large JPEGs are decoded at a reduced DCT scale (Pillow ``draft``) and other
large images box-reduced to the same scale, which keeps perceptual hashes within a few bits
(see ``bench/hashing.py``) at a fraction of the cost. A JPEG large enough to be decoded
reduced anyway is decoded one or more DCT steps smaller still when PDQ would otherwise
box-average its pixels by an even factor (a 1080p JPEG: 480x270 rather than 960x540 halved):
the decoder skips the work. The robust stage, which looks at crops and regions, asks for a
second decode with more pixels (``PreparedImage.rgb_array``).
"""

from __future__ import annotations

import ctypes
import io
from dataclasses import dataclass, field, replace
from functools import cache, cached_property

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from hashdb.errors import CorruptMedia, EmptyMedia, MediaTooLarge, MediaTooSmall, UnsupportedMedia
from hashdb.media.budget import DEFAULT_PIXEL_BUDGET, budget

#: Pillow format names we accept (MPO is the multi-picture JPEG many phones write).
SUPPORTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"})

DEFAULT_MAX_PIXELS = 80_000_000

# hashdb checks every image against its own configurable pixel limit (DecodeOptions.max_pixels)
# from the header, before any pixel is decoded; Pillow's global limit would only get in the way
# of a deployment that raises ours, and reports bombs without their dimensions.
Image.MAX_IMAGE_PIXELS = None
DEFAULT_MIN_SIDE = 16
DEFAULT_DECODE_SIZE = 512
#: The pixels the robust stage and reference features look at (``rgb_array``): crops and
#: screenshot regions need more detail than the hashes, which blur to 64x64 or less. A
#: smaller ``decode_size``, or a JPEG decoded smaller for PDQ (``_hash_draft``), keeps
#: these at 512.
DEFAULT_DETAIL_SIZE = 512
GRAY_SIZE = 128
#: ThreatExchange's reference hasher thumbnails to at most 512x512 before PDQ; so do we.
PDQ_SIDE = 512
_EXIF_ORIENTATION = 0x0112


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def sniff_image_format(data: bytes) -> str | None:
    """The image format the leading bytes claim, whether or not the rest is intact."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for magic, fmt in _SIGNATURES if data.startswith(magic)), None)


@dataclass(frozen=True)
class DecodeOptions:
    max_pixels: int = DEFAULT_MAX_PIXELS
    min_side: int = DEFAULT_MIN_SIDE
    #: Reduce large images so both sides stay at least this big; 0 decodes at full size.
    #: The hashes are computed from these pixels.
    decode_size: int = DEFAULT_DECODE_SIZE
    #: The same for ``PreparedImage.rgb_array``, decoded again only when asked for.
    detail_size: int = DEFAULT_DETAIL_SIZE
    #: Pixels this process decodes at once, across threads (:mod:`hashdb.media.budget`).
    pixel_budget: int = DEFAULT_PIXEL_BUDGET


@dataclass
class PreparedImage:
    """A decoded image (RGB, upright, alpha flattened) and the bytes it came from."""

    data: bytes
    #: The pixels the hashes are computed from (``DecodeOptions.decode_size``).
    rgb: Image.Image
    format: str
    original_size: tuple[int, int]
    #: Results that several stages derive from the same pixels (e.g. the PDQ hashes of all
    #: eight rotations), computed once per image by whoever needs them first.
    derived: dict[str, object] = field(default_factory=dict, repr=False)
    #: How to decode ``rgb_array`` when it needs more pixels than ``rgb`` has.
    options: DecodeOptions = field(default_factory=lambda: DecodeOptions(), repr=False)
    #: ``rgb`` is a JPEG decoded at a smaller DCT scale than ``decode_size`` asks for, in
    #: place of PDQ's box reduction (:func:`_hash_draft`).
    pdq_scaled: bool = field(default=False, repr=False)

    @cached_property
    def rgb_array(self) -> np.ndarray:
        """RGB pixels for the stages that look at detail (crops, regions, features): from
        a second decode when the hashes' own was reduced below ``detail_size`` or made
        smaller for PDQ. Only those stages pay for it; hashing alone never does."""
        options = self._detail_options()
        image = self.rgb
        if options is not None:
            try:
                image = _decoded(self.data, options)
            except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
                image = self.rgb  # decoded once already: keep those pixels rather than fail
        return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))

    def _detail_options(self) -> DecodeOptions | None:
        """How to decode ``rgb_array`` again, or None when it is ``rgb``'s own pixels: ``rgb``
        was reduced below ``detail_size``, or decoded smaller than ``decode_size`` asks for
        the hashes alone (``pdq_scaled``: the detail is then what ``decode_size`` decodes)."""
        detail = self.options.detail_size
        reduced = max(self.rgb.size) < max(self.original_size)
        if reduced and detail and min(self.rgb.size) < detail:
            return replace(self.options, decode_size=max(detail, self.options.decode_size))
        return self.options if self.pdq_scaled else None

    @property
    def rgb_array_size(self) -> tuple[int, int]:
        """Width and height of ``rgb_array``, without converting or decoding it if it is
        not there yet: every upload on a robust list asks, few need the pixels."""
        if "rgb_array" not in self.__dict__:
            options = self._detail_options()
            if options is None:
                return self.rgb.size
            try:
                return _decoded_size(self.data, options)
            except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
                pass  # then rgb_array keeps rgb's pixels too: ask the array
        height, width = self.rgb_array.shape[:2]
        return width, height

    def detail_crop(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """``rgb_array[top:bottom, left:right]`` of a box ``(left, top, right, bottom)``. When
        ``rgb_array`` would be ``rgb``'s own pixels and is not there yet, only the box is
        converted: a screenshot region is a small part of the whole array's copy."""
        left, top, right, bottom = box
        if "rgb_array" in self.__dict__ or self._detail_options() is not None:
            return self.rgb_array[top:bottom, left:right]
        return np.asarray(self.rgb.crop(box), dtype=np.uint8)

    @cached_property
    def pdq_array(self) -> np.ndarray:
        """RGB box-reduced by a whole factor to fit ``PDQ_SIDE`` square. ThreatExchange's
        reference hasher thumbnails to 512x512 before PDQ, and PDQ blurs to 64x64 anyway, so
        more pixels only cost time; a whole-factor reduce is far cheaper than resampling and
        stays within a few bits of both the reference and a full-size hash
        (``bench/hashing.py`` measures both)."""
        factor = -(-max(self.rgb.size) // PDQ_SIDE)
        pixels = self.rgb.reduce(factor) if factor >= 2 else self.rgb
        return np.ascontiguousarray(np.asarray(pixels, dtype=np.uint8))

    @cached_property
    def gray(self) -> Image.Image:
        """Grayscale, box-reduced to about ``GRAY_SIZE``: the 8x8/32x32 hashes (pHash, dHash)
        resample with Lanczos, whose cost grows with the input size while their bits do not
        change (``bench/hashing.py`` measures this).

        From a JPEG decoded smaller for PDQ (``pdq_scaled``), grey levels are averaged
        before they are rounded: its pixels were rounded once more in the decoder, and
        rounding the luma of each before the average moved pHash and dHash bits that a
        full-size decode leaves alone (ties between neighbours)."""
        if self.pdq_scaled:
            luma = self.rgb.convert("F")
            factor = min(luma.size) // GRAY_SIZE
            if factor >= 2:
                luma = luma.reduce(factor)
            # Converting to 8 bits truncates; half a level first rounds.
            return luma.point(lambda value: value + 0.5).convert("L")
        gray = self.rgb.convert("L")
        factor = min(gray.size) // GRAY_SIZE
        return gray.reduce(factor) if factor >= 2 else gray

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.size


#: The largest block glibc's malloc is told to keep in its heap (:func:`_heap_for_buffers`).
_HEAP_BLOCK_BYTES = 8 << 20
#: mallopt(3) parameters of glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@cache
def _heap_for_buffers() -> None:
    """Have the C allocator keep picture-sized buffers in its heap.

    glibc serves a block above its mmap threshold (128 KiB at start) with fresh pages from
    the kernel, faulted in on first touch and returned when freed: the float copies of the
    picture PDQ makes (about 1 MB each for a 1080p JPEG) cost as much in page faults as the
    hash itself, about 1 ms a picture. With the threshold at 8 MiB and the heap trimmed only
    above twice that (what glibc itself would settle on after freeing one such block), those
    buffers reuse heap memory. Other C libraries have no ``mallopt``: nothing is changed."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, _HEAP_BLOCK_BYTES)
    mallopt(_M_TRIM_THRESHOLD, 2 * _HEAP_BLOCK_BYTES)


def decode_image(data: bytes, options: DecodeOptions | None = None) -> PreparedImage:
    options = options or DecodeOptions()
    _heap_for_buffers()
    if not data:
        raise EmptyMedia("the file is empty (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data))
        return _prepare(image, data, options)
    except UnidentifiedImageError:
        claimed = sniff_image_format(data)
        if claimed is not None:
            raise CorruptMedia(
                f"the file starts like a {claimed} image but cannot be decoded"
            ) from None
        raise UnsupportedMedia(
            "not a supported image or video (images: JPEG, PNG, WebP, GIF, BMP, TIFF; "
            "videos: MP4, MOV, WebM, MKV, AVI)",
            bytes=len(data),
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        # Pillow reports truncation and corruption with these.
        raise CorruptMedia(f"the image is corrupt or truncated: {exc}") from None


def _prepare(image: Image.Image, data: bytes, options: DecodeOptions) -> PreparedImage:
    if image.format not in SUPPORTED_FORMATS:
        raise UnsupportedMedia(f"image format {image.format} is not supported")
    width, height = image.size
    if width * height > options.max_pixels:
        raise MediaTooLarge(
            f"image is {width}x{height} = {width * height} pixels, over the limit of "
            f"{options.max_pixels} (decompression bomb protection)",
            width=width,
            height=height,
        )
    if min(width, height) < options.min_side:
        raise MediaTooSmall(
            f"image is {width}x{height}; both sides must be at least {options.min_side} pixels",
            width=width,
            height=height,
        )
    request = _hash_draft(image, options.decode_size)
    return PreparedImage(
        data=data,
        rgb=_pixels(image, options, request),
        format=str(image.format or ""),
        original_size=(width, height),
        options=options,
        pdq_scaled=request != _draft(image, options.decode_size),
    )


def _decoded(data: bytes, options: DecodeOptions) -> Image.Image:
    """The pixels of bytes already checked by :func:`decode_image`, at another size."""
    image = Image.open(io.BytesIO(data))
    return _pixels(image, options, _draft(image, options.decode_size))


def _decoded_size(data: bytes, options: DecodeOptions) -> tuple[int, int]:
    """Width and height :func:`_decoded` would return, from the header alone."""
    image = Image.open(io.BytesIO(data))
    request = _draft(image, options.decode_size)
    if request is not None:
        image.draft("RGB", request)
    width, height = image.size
    if _upright_turns(image):
        width, height = height, width
    factor = min(width, height) // options.decode_size if options.decode_size else 1
    if factor >= 2:
        width, height = -(-width // factor), -(-height // factor)
    return width, height


def _draft(image: Image.Image, decode_size: int) -> tuple[int, int] | None:
    """What to ask Pillow's JPEG ``draft`` for: both sides at least ``decode_size``."""
    if not decode_size or image.format not in ("JPEG", "MPO"):
        return None
    return decode_size, decode_size


def _hash_draft(image: Image.Image, decode_size: int) -> tuple[int, int] | None:
    """The ``draft`` request for the pixels the hashes are computed from.

    A JPEG that ``decode_size`` has decoded at a reduced DCT scale anyway, and whose pixels
    PDQ would then box-average by an even factor (``pdq_array``), is decoded one or more
    scale steps smaller instead (down to 1/8, the decoder's last): the same pixel count
    reaches PDQ, averaged in the DCT rather than after it, in 65-80% of the decode time and
    without the box reduction. PDQ stays as close to Meta's reference, pHash and dHash
    as close to a full-size decode (``bench/hashing.py``). Smaller JPEGs, decoded at full
    size, keep their pixels: the robust stage finds screenshot regions in them, and
    halving those lost matches (docs/performance.md, "Upload hashing")."""
    request = _draft(image, decode_size)
    if request is None:
        return None
    width, height = image.size
    scale = _dct_scale(min(width // decode_size, height // decode_size))
    if scale < 2:
        return request
    longest = -(-max(width, height) // scale)  # the decode's long side (Pillow rounds up)
    factor = -(-longest // PDQ_SIDE)  # pdq_array's box reduction of that decode
    smaller = scale
    while factor % 2 == 0 and smaller < 8:
        smaller, factor = smaller * 2, factor // 2
    if smaller == scale:
        return request
    # Pillow picks the largest scale whose decode still holds the requested size.
    return width // smaller, height // smaller


def _dct_scale(ratio: int) -> int:
    """The DCT scale (1, 2, 4 or 8) Pillow's JPEG ``draft`` picks for a size ratio."""
    return next((scale for scale in (8, 4, 2) if ratio >= scale), 1)


def _pixels(
    image: Image.Image, options: DecodeOptions, request: tuple[int, int] | None
) -> Image.Image:
    """Decoded (JPEG: drafted to ``request``), upright, reduced to ``decode_size`` and
    flattened to RGB."""
    if request is not None:
        image.draft("RGB", request)
    width, height = image.size  # after draft: the pixels the decode will really hold
    with budget(options.pixel_budget).hold(width * height):
        image.load()
        image = _upright(image)
        if options.decode_size:
            factor = min(image.size) // options.decode_size
            if factor >= 2:
                image = image.reduce(factor)
        return _flatten_to_rgb(image)


#: EXIF orientations that turn the picture a quarter (width and height swap).
_QUARTER_TURNS = frozenset({5, 6, 7, 8})


def _upright_turns(image: Image.Image) -> bool:
    """Whether :func:`_upright` will swap the width and height of ``image``."""
    try:
        return image.getexif().get(_EXIF_ORIENTATION, 1) in _QUARTER_TURNS
    except Exception:  # _upright keeps such an image as it is
        return False


def _upright(image: Image.Image) -> Image.Image:
    fmt = image.format
    try:
        if image.getexif().get(_EXIF_ORIENTATION, 1) == 1:
            return image  # already upright: skip the copy exif_transpose would make
        upright = ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block must not lose an otherwise good image
        return image
    upright.format = fmt
    return upright


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    fmt = image.format
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        result = canvas.convert("RGB")
    elif image.mode != "RGB":
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit grayscale: scale to 8 bits rather than clip.
            array = np.asarray(image, dtype=np.float64)
            peak = float(array.max()) or 1.0
            image = Image.fromarray((array * (255.0 / peak)).astype(np.uint8), "L")
        result = image.convert("RGB")
    else:
        result = image
    result.format = fmt
    return result
