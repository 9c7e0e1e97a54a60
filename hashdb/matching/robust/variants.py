"""Image variants for the loose first stage.

Query side: the 8 rotations/mirrors of the upload (``pdqhash.compute_dihedral``, one DCT for
all), and the picture with uniform borders, letterbox bars and caption bars trimmed off, and
the largest picture-like regions of a screenshot or frame. Reference side: crops and small
rotations of the reference, stored as extra rows, so a cropped or tilted upload lands near
one of them. Every variant is hashed with PDQ on a reduced image: PDQ itself reduces to 64x64
before its DCT, so the bits barely change while the cost drops.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from hashdb.hashing.pdq import dihedral_hashes, dihedral_hashes_of, pdq_hash
from hashdb.matching.robust.framing import (
    Box,
    one_side_trims,
    picture_regions,
    reduce_by_whole_factor,
    spread,
    tighten,
    trim_bars,
    trim_passes,
)
from hashdb.media.image import PreparedImage

#: Variants are hashed at this longest side.
HASH_SIDE = 384
#: Query crops (a trimmed picture, a screenshot region) are hashed at this longest side:
#: PDQ works at 64x64, its cost grows with the pixels, and its bits move only a little.
QUERY_CROP_SIDE = 256
#: A crop smaller than this (longest side) in the reduced copy is hashed from full size.
_MIN_HASH_SIDE = 256
#: pdqhash.compute_dihedral order, and whether undoing it needs a mirror image.
DIHEDRAL = (
    ("original", False),
    ("rotate-90", False),
    ("rotate-180", False),
    ("rotate-270", False),
    ("mirror-v", True),
    ("mirror-h", True),
    ("transpose", True),
    ("transverse", True),
)
DIHEDRAL_NAMES = frozenset(name for name, _ in DIHEDRAL)

#: Reference crops: kept fraction of each side and where the kept window sits.
REFERENCE_CROPS = (0.9, 0.82, 0.74)
CROP_POSITIONS = ("cc", "tl", "tr", "bl", "br", "tc", "bc", "cl", "cr")
REFERENCE_ROTATIONS = (-8.0, -4.0, 4.0, 8.0)
#: Query windows: the upload with one corner kept at this share of each side, as the
#: reference's crop rows of that corner keep it. A logo or a watermark in the opposite
#: corner moves the whole upload's hash (a bright logo on a dark scene most) but not the
#: window's, which then meets that crop row of the reference.
CORNER_WINDOW = 0.82
CORNERS = ("tl", "tr", "bl", "br")
WINDOW_PREFIX = "window-"


@dataclass(frozen=True)
class VariantHash:
    variant: str
    value: bytes
    quality: int
    #: Which query image the second stage checks: "original", "mirror" or a region name.
    image: str


def normalise(rgb: np.ndarray) -> np.ndarray:
    """Stretch the 2nd-97th percentile of brightness to the full range, so a dark or
    washed-out picture and its brightened copy hash alike (variant rows only: the entry's
    own PDQ hash stays the standard one partners share)."""
    low, high = spread(rgb)
    if high - low < 8 or (low <= 8 and high >= 247):
        return rgb
    return np.asarray(
        cv2.convertScaleAbs(rgb, alpha=255.0 / (high - low), beta=-low * 255.0 / (high - low))
    )


def reduce(
    rgb: np.ndarray, side: int = HASH_SIDE, interpolation: int = cv2.INTER_AREA
) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = side / max(width, height)
    if scale >= 1:
        return np.ascontiguousarray(rgb)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=interpolation))


def _reduce_for_boxes(rgb: np.ndarray) -> np.ndarray:
    """About ``HASH_SIDE`` on the longest side, cheaply (boxes are found on it, nothing is
    hashed from it): halved by box averaging while more than twice too big, then bilinear,
    which cannot alias at a factor under two."""
    while max(rgb.shape[:2]) >= 2 * HASH_SIDE:
        rgb = reduce_by_whole_factor(rgb, max(rgb.shape[:2]) // 2)
    return reduce(rgb, HASH_SIDE, cv2.INTER_LINEAR)


# Variant rows and query variants are compared only with each other, never shared: PDQ's
# arithmetic in numpy (hashdb.hashing.pdq_numpy) gives their bits at a fraction of the cost.


def pdq(rgb: np.ndarray) -> tuple[bytes, int]:
    return pdq_hash(rgb, standard=False)


def levelled_quality(image: PreparedImage) -> int:
    """The PDQ quality of the upload with its levels stretched as the reference rows' are
    (:func:`normalise`): a dark or faded picture has little detail by PDQ's measure, which
    counts gradients in grey levels, however much it shows once stretched."""
    from hashdb.hashing import pdq_numpy

    return pdq_numpy.quality(pdq_numpy.samples_64(normalise(image.pdq_array)))


def dihedral(rgb: np.ndarray) -> list[VariantHash]:
    return _dihedral_hashes(*dihedral_hashes_of(rgb, standard=False))


def corner_windows(rgb: np.ndarray) -> list[VariantHash]:
    """The upload seen through each corner's window. Each only finds candidates, among the
    reference rows of the same window (:func:`window_row`); the candidate is then checked
    on the whole upload, which must agree but for an overlay in one corner: a window alone
    would prove nothing about what it leaves out (a U is an Ü without its top)."""
    windows = []
    for corner in CORNERS:
        crop = normalise(reduce_by_whole_factor(_crop(rgb, CORNER_WINDOW, corner), QUERY_CROP_SIDE))
        value, quality = pdq(crop)
        windows.append(VariantHash(f"{WINDOW_PREFIX}{corner}", value, quality, "original"))
    return windows


def window_row(variant: str) -> str | None:
    """The reference row a query window may meet (None: the variant is not a window)."""
    if not variant.startswith(WINDOW_PREFIX):
        return None
    return f"crop-{variant.removeprefix(WINDOW_PREFIX)}-{round(CORNER_WINDOW * 100)}"


def _dihedral_hashes(values: Sequence[bytes], quality: int) -> list[VariantHash]:
    return [
        VariantHash(name, value, quality, "mirror" if flip else "original")
        for (name, flip), value in zip(DIHEDRAL, values, strict=True)
    ]


class Pictures(Mapping[str, np.ndarray]):
    """A query's trimmed picture and screenshot regions at full size, by name, cut from the
    upload when first asked for: most uploads match nothing, and the second stage never
    looks at their pictures (nor converts the whole upload to an array for them)."""

    def __init__(self, image: PreparedImage, boxes: dict[str, Box]) -> None:
        self._image = image
        self._boxes = boxes
        self._cut: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cut:
            self._cut[name] = self._image.detail_crop(self._boxes[name])
        return self._cut[name]

    def narrowed(self, name: str, box: Box, crop: np.ndarray | None) -> None:
        """``name`` now at ``box``: ``crop`` if it holds those pixels, else cut again."""
        self._boxes[name] = box
        if crop is None:
            self._cut.pop(name, None)
        else:
            self._cut[name] = crop

    def __iter__(self) -> Iterator[str]:
        return iter(self._boxes)

    def __len__(self) -> int:
        return len(self._boxes)


def query_variants(
    image: PreparedImage,
) -> tuple[list[VariantHash], Pictures, dict[str, Box]]:
    """PDQ hashes of every query variant, the variant pictures the second stage may check
    (full-size views keyed by ``VariantHash.image``; "original", "mirror" and "trim+mirror"
    are derived by the caller), and where each picture sits in the upload (its box in
    ``image.rgb_array``, so a match's evidence can be drawn on the upload).

    The mirrored and rotated copies come free with the plain PDQ hash (one pass computes
    all eight), so only a trimmed picture and screenshot regions cost extra hashing."""
    full = image.rgb_array_size
    hashes = _dihedral_hashes(*dihedral_hashes(image))
    # What the plain hash saw (a whole-factor reduce), reduced again for finding boxes.
    base = image.pdq_array
    hashes.extend(corner_windows(base))
    small = _reduce_for_boxes(base)
    placed: dict[str, Box] = {}
    images = Pictures(image, placed)
    height, width = small.shape[:2]
    boxes: list[tuple[str, Box]] = []
    trimmed = trim_passes(small)
    if trimmed:
        boxes.append(("trim", trimmed[0]))
    if len(trimmed) > 1:
        # What is left once a caption is gone, trimmed again: a symbol on its plain
        # background, as the reference's own trimmed row has it.
        boxes.append(("tight", trimmed[-1]))
    if trimmed:
        boxes.extend(one_side_trims(trimmed[0], width, height))
    regions, background = picture_regions(small)
    # A region is cut a pixel of ``small`` wider on each side, then tightened on the
    # pixels it is hashed from (:func:`tighten`).
    boxes.extend((f"region-{i}", _widened(box, width, height)) for i, box in enumerate(regions))
    for name, box in boxes:
        placed[name] = _scaled_box(full, box, width, height)
        # Hashed from the pixels the plain hash saw, unless the box is small there (a
        # picture inside a screenshot): PDQ needs detail at 64x64 and a small crop of a
        # reduced copy is blurry.
        x0, y0, x1, y1 = _scaled_box((base.shape[1], base.shape[0]), box, width, height)
        crop = base[y0:y1, x0:x1]
        small_crop = max(crop.shape[:2]) < _MIN_HASH_SIDE
        if small_crop:
            crop = images[name]
        if background is not None and name.startswith("region-"):
            inner = tighten(crop, background)
            if inner != (0, 0, crop.shape[1], crop.shape[0]):
                crop = crop[inner[1] : inner[3], inner[0] : inner[2]]
                if small_crop:  # the crop is the upload's own pixels
                    images.narrowed(name, _shifted(placed[name], inner), crop)
                else:
                    cut = _shifted((x0, y0, x1, y1), inner)
                    narrowed = _scaled_box(full, cut, base.shape[1], base.shape[0])
                    images.narrowed(name, narrowed, None)
        crop = normalise(reduce_by_whole_factor(crop, QUERY_CROP_SIDE))
        if name not in ("trim", "tight"):
            value, quality = pdq(crop)
            hashes.append(VariantHash(name, value, quality, name))
        else:
            # A trimmed picture may also have been mirrored or turned: one DCT covers all.
            for extra in dihedral(crop):
                mirrored = extra.image == "mirror"
                suffix = "" if extra.variant == "original" else f"+{extra.variant}"
                hashes.append(
                    VariantHash(
                        f"{name}{suffix}",
                        extra.value,
                        extra.quality,
                        f"{name}+mirror" if mirrored else name,
                    )
                )
    return hashes, images, placed


def _widened(box: Box, width: int, height: int) -> Box:
    x0, y0, x1, y1 = box
    return max(0, x0 - 1), max(0, y0 - 1), min(width, x1 + 1), min(height, y1 + 1)


def _shifted(outer: Box, inner: Box) -> Box:
    """``inner``, a box within the crop ``outer``, in the coordinates ``outer`` is in."""
    return outer[0] + inner[0], outer[1] + inner[1], outer[0] + inner[2], outer[1] + inner[3]


def _scaled_box(size: tuple[int, int], box: Box, width: int, height: int) -> Box:
    """``box``, a box on a ``width`` x ``height`` copy of a picture of ``size`` (width,
    height), in that picture's pixels."""
    x0, y0, x1, y1 = box
    sx, sy = size[0] / width, size[1] / height
    return round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)


def _crop(rgb: np.ndarray, keep: float, where: str) -> np.ndarray:
    height, width = rgb.shape[:2]
    ch, cw = round(height * keep), round(width * keep)
    y = {"c": (height - ch) // 2, "t": 0, "b": height - ch}[where[0]]
    x = {"c": (width - cw) // 2, "l": 0, "r": width - cw}[where[1]]
    return rgb[y : y + ch, x : x + cw]


def _rotate(rgb: np.ndarray, degrees: float) -> np.ndarray:
    height, width = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(
        rgb, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0)
    )


def reference_variants(rgb: np.ndarray) -> list[tuple[str, bytes]]:
    """Extra PDQ rows for a reference: the reduced full image, crops, small rotations."""
    small = reduce(rgb)
    rows = [("full", pdq(normalise(small))[0])]
    for keep in REFERENCE_CROPS:
        for where in CROP_POSITIONS:
            crop = normalise(_crop(small, keep, where))
            rows.append((f"crop-{where}-{round(keep * 100)}", pdq(crop)[0]))
    for degrees in REFERENCE_ROTATIONS:
        rows.append((f"rotate{degrees:+.0f}", pdq(normalise(_rotate(small, degrees)))[0]))
    trimmed = trim_bars(small)
    if trimmed is not None:
        # A picture on a plain background (a logo) loses that background to the query-side
        # trim too; hashing the reference the same way lets the two meet.
        x0, y0, x1, y1 = trimmed
        rows.append(("trim", pdq(normalise(small[y0:y1, x0:x1]))[0]))
    return rows
