"""The reference as an upload with its hue turned or its saturation changed would show it.

The content check compares grey levels and absorbs a tone map (brightness, contrast,
gamma, grayscale): every reference grey level maps to one upload grey level. A hue or
saturation edit moves the grey of each colour differently (a red and a green of one grey
come out apart), so a true copy fails that map. Here the edit is measured as one global
change (a hue shift, a saturation factor) from the colours of both pictures, applied to the
reference's colour thumbnail, and the grey picture that gives is what the upload is compared
with. One shift and one factor for the whole picture: a flag whose one stripe changed colour
while the others kept theirs is not such a change, and it still differs.

The colour thumbnail is stored after the grey one in the reference's ``thumbnail`` blob (a
second PNG of the same size): readers of the grey one are unchanged, and entries stored
before it simply have none, so their comparisons stay grey.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from hashdb.matching.robust import channels
from hashdb.matching.robust.cells import cell_counts, cell_means
from hashdb.store.models import ReferenceFeatures

#: A PNG signature (the grey thumbnail, and the colour one stored after it).
PNG = b"\x89PNG\r\n\x1a\n"

#: Pixels whose hue is measured: saturated and not dark in the reference, not dark in the
#: upload (the hue of a grey or a near-black pixel is noise).
_MIN_SATURATION = 60
_MIN_VALUE = 40
#: Fewer measured pixels than this: no estimate (a picture in shades of grey).
_MIN_PIXELS = 50
#: Colourful pixels have channels this far apart; a reference with more than ``_COLOURFUL``
#: of them and an upload with fewer than ``_GRAY`` is a grayscale copy.
_SPREAD = 24
_COLOURFUL = 0.1
_GRAY = 0.02
#: Mean a*b* distance (8-bit CIELAB) over a cell above which its colour differs.
_CHROMA = 12.0
#: Mean a*b* chroma (8-bit CIELAB) a cell needs in both pictures for its hue to count.
_HUE_CHROMA = 12.0
#: Hues this many degrees apart are another colour at any chroma a hue counts at.
_OPPOSITE_HUE = 120.0
#: A cell's chroma this many times off the picture's ratio is another colourfulness.
_CHROMA_RATIO = 1.7
#: The picture kept its colourfulness when this share of its colourful cells has a chroma
#: within ``_CHROMA_KEPT`` times the expected one.
_CHROMA_KEPT = 1.15
_KEPT_SHARE = 0.6
#: Half-width (hue steps of 256) of the window the hue shift's histogram is smoothed over.
_HUE_WINDOW = 3


def recoloured(
    gray: np.ndarray, colour: np.ndarray, aligned: np.ndarray, inside: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The reference's grey thumbnail ``gray`` and its ``colour`` thumbnail (RGB, same size)
    as they would be after the hue shift and the saturation factor that take ``colour`` to
    ``aligned`` (the upload's colours in the reference's frame) over the ``inside`` pixels;
    None when the reference has too few saturated pixels to measure them."""
    ref_hsv = cv2.cvtColor(colour, cv2.COLOR_RGB2HSV_FULL).astype(np.int16)
    got_hsv = cv2.cvtColor(aligned, cv2.COLOR_RGB2HSV_FULL).astype(np.int16)
    measured = (
        inside
        & (ref_hsv[..., 1] > _MIN_SATURATION)
        & (ref_hsv[..., 2] > _MIN_VALUE)
        & (got_hsv[..., 2] > _MIN_VALUE)
    )
    if int(measured.sum()) < _MIN_PIXELS:
        return None
    turn = ((got_hsv[..., 0] - ref_hsv[..., 0]) % 256)[measured]
    histogram = np.bincount(turn, minlength=256).astype(np.float64)
    wrapped = np.concatenate([histogram[-_HUE_WINDOW:], histogram, histogram[:_HUE_WINDOW]])
    shift = int(np.argmax(np.convolve(wrapped, np.ones(2 * _HUE_WINDOW + 1), "valid")))
    ratio = got_hsv[..., 1][measured] / np.maximum(ref_hsv[..., 1][measured], 1)
    factor = float(np.median(ratio))
    changed = ref_hsv.copy()
    changed[..., 0] = (ref_hsv[..., 0] + shift) % 256
    changed[..., 1] = np.clip(ref_hsv[..., 1] * factor, 0, 255)
    changed_rgb = cv2.cvtColor(changed.astype(np.uint8), cv2.COLOR_HSV2RGB_FULL)
    # The stored grey thumbnail may be contrast-stretched (a dark picture): take the same
    # linear stretch from the colour thumbnail's own grey.
    before = cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY).astype(np.float64)[inside]
    gain, offset = _line_through(before, gray.astype(np.float64)[inside])
    after = cv2.cvtColor(changed_rgb, cv2.COLOR_RGB2GRAY).astype(np.float64)
    changed_gray: np.ndarray = np.clip(gain * after + offset, 0, 255).astype(np.uint8)
    return changed_gray, changed_rgb


def _line_through(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The least-squares line ``y = gain * x + offset`` (gain 0 when ``x`` is constant),
    in closed form: a general solver costs twenty times as much for two unknowns. Sums,
    not dot products: BLAS hands a long dot product to its own threads, which then spin
    beside the other worker processes."""
    x_mean, y_mean = float(x.mean()), float(y.mean())
    centred = x - x_mean
    spread = float(np.square(centred).sum())
    gain = float((centred * (y - y_mean)).sum()) / spread if spread > 0 else 0.0
    return gain, y_mean - gain * x_mean


def washed_out(reference: np.ndarray, aligned: np.ndarray, inside: np.ndarray) -> bool:
    """Whether ``aligned`` is a grayscale copy of a colourful ``reference`` (RGB, over
    ``inside``): its colours then say nothing."""

    def colourful(picture: np.ndarray) -> float:
        return float((channels.spread(picture)[inside] > _SPREAD).mean())

    return colourful(reference) > _COLOURFUL and colourful(aligned) < _GRAY


def chroma_differs(
    expected: np.ndarray, aligned: np.ndarray, compared: np.ndarray, cell: int
) -> np.ndarray:
    """Cells (of side ``cell``, where ``compared``) whose colour, grey level aside, is not
    the ``expected`` one: the mean distance of the two pictures' a*, b* (CIELAB) over the
    cell exceeds ``_CHROMA``. A stripe of another colour at the same grey differs here."""
    rows, cols = compared.shape
    lab = [
        cv2.cvtColor(cv2.GaussianBlur(picture, (5, 5), 1.0), cv2.COLOR_RGB2LAB).astype(np.float32)[
            : rows * cell, : cols * cell, 1:
        ]
        for picture in (expected, aligned)
    ]
    distance = np.sqrt(((lab[0] - lab[1]) ** 2).sum(axis=2))
    means = cell_means(distance, rows, cols)
    differs: np.ndarray = compared & (means > _CHROMA)
    return differs


def hue_differs(
    expected: np.ndarray,
    aligned: np.ndarray,
    compared: np.ndarray,
    cell: int,
    margin: float,
) -> np.ndarray:
    """Cells (of side ``cell``, where ``compared``) whose colour is not the ``expected``
    one up to the picture's own change of colourfulness: colourful in both with hues (the
    angle of the cell's mean a*, b* in CIELAB) more than ``margin`` degrees apart, or with
    a chroma more than ``_CHROMA_RATIO`` times off while the rest kept theirs.
    A brightness or contrast edit scales the chroma of every colour alike and keeps its
    hue; a stripe of another colour at the same grey has another hue or colourfulness."""
    chroma, turn = _cell_colours(expected, aligned, compared.shape, cell)
    colourful = (chroma[0] > _HUE_CHROMA) & (chroma[1] > _HUE_CHROMA)
    either = compared & (np.maximum(chroma[0], chroma[1]) > _HUE_CHROMA)
    if not either.any():
        return np.zeros_like(compared)
    # Colourfulness is compared only when the picture as a whole kept its own: a
    # brightness, contrast or saturation edit changes it unevenly (saturated colours clip).
    ratio = np.abs(np.log((chroma[1] + 4.0) / (chroma[0] + 4.0)))
    kept = float((ratio[either] < np.log(_CHROMA_KEPT)).mean()) >= _KEPT_SHARE
    off = ratio > np.log(_CHROMA_RATIO) if kept else np.zeros_like(either)
    differs: np.ndarray = either & ((colourful & (turn > margin)) | off)
    return differs


#: A pixel is coloured when its a*b* chroma (8-bit CIELAB) exceeds this: JPEG leaves white
#: and black a few units of colour.
_COLOURED = 8.0
#: A cell holds part of a colour element when this many of its pixels belong to it.
_ELEMENT_IN_CELL = 8
#: Radius (thumbnail pixels) of the reference's neighbourhood whose colours an upload's
#: pixel may show, and the a*b* margin round their range: blurred, a thin dark line
#: vanishes into the colour beside it.
_NEIGHBOURHOOD = 4
_NEAR = 10.0


def colour_element_cells(
    expected: tuple[np.ndarray, ...],
    aligned: np.ndarray,
    compared: np.ndarray,
    cell: int,
    distance: float,
    margin: float,
    width: int,
    area: int,
) -> np.ndarray:
    """Cells (of side ``cell``) holding part of an element of another colour: a patch of
    ``area`` pixels or more, ``width`` pixels wide at least, lying wholly in ``compared``
    cells, of pixels coloured in ``aligned`` whose a*b* (CIELAB) lie more than ``distance``
    from ``expected``'s, with a hue more than ``margin`` degrees off where ``expected`` is
    coloured too (a contrast edit that clips a channel moves a colour's chroma far, its
    hue little), and outside the range of colours ``expected`` shows round them (blurred,
    a thin dark line vanishes into the colour beside it). Counted over the whole patch,
    not per cell: a thin brow spans three cells with a few dozen pixels in each. A patch
    reaching into other cells is part of what those hold (a logo laid over a corner,
    excused there)."""
    rows, cols = compared.shape
    cut_height, cut_width = rows * cell, cols * cell
    # Each picture lightly blurred once, for the channel test and the a*b* planes alike.
    blurred_aligned = _blurred(aligned)
    blurred_first = _blurred(expected[0])
    if not _large_patches(
        _rgb_apart(blurred_first, blurred_aligned, cut_height, cut_width), width, area
    )[1].any():
        # No patch that large differs from the reference in any channel by even
        # ``_RGB_APART``, so none lies far from it in a*b*: the cheap test first, which
        # true copies almost always end at.
        return np.zeros_like(compared)
    got = _ab(blurred_aligned, cut_height, cut_width)
    another = got[0] * got[0] + got[1] * got[1] > _COLOURED * _COLOURED
    for picture in (blurred_first, *(_blurred(p) for p in expected[1:])):
        if not another.any():
            return np.zeros_like(compared)
        another = _another_colour(
            _ab(picture, cut_height, cut_width), got, another, distance, margin
        )
    labels, large = _large_patches(another, width, area)
    if not large.any():
        return np.zeros_like(compared)
    outside = ~np.repeat(np.repeat(compared, cell, axis=0), cell, axis=1)
    large[np.unique(labels[outside])] = False
    held = cell_counts(large[labels], cell, rows, cols) >= _ELEMENT_IN_CELL
    found: np.ndarray = compared & held
    return found


#: Levels a pixel's channels must differ by, one of them at least, for its a*b* to lie
#: ``colour_element_distance`` (30) apart: far fewer (a*b* 30 apart is some 20 levels).
_RGB_APART = 12


def _blurred(picture: np.ndarray) -> np.ndarray:
    blurred: np.ndarray = cv2.GaussianBlur(picture, (5, 5), 1.0)
    return blurred


def _rgb_apart(expected: np.ndarray, aligned: np.ndarray, height: int, width: int) -> np.ndarray:
    """Pixels of the two (blurred) pictures whose largest channel difference exceeds
    ``_RGB_APART``."""
    cut = (slice(0, height), slice(0, width))
    red, green, blue = cv2.split(cv2.absdiff(expected[cut], aligned[cut]))
    found: np.ndarray = cv2.max(cv2.max(red, green), blue) > _RGB_APART
    return found


def _large_patches(mask: np.ndarray, width: int, area: int) -> tuple[np.ndarray, np.ndarray]:
    """The patches of ``mask`` left by an opening with a square of side ``width`` (their
    labels) and, per label, whether it holds ``area`` pixels or more (never the
    background, label 0)."""
    opened = cv2.morphologyEx(
        mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((width, width), np.uint8)
    )
    _, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    large: np.ndarray = stats[:, cv2.CC_STAT_AREA] >= area
    large[0] = False
    return labels, large


def _ab(blurred: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The a* and b* planes (CIELAB, centred on grey) of a ``blurred`` picture, cut to
    ``height`` by ``width``."""
    lab = cv2.cvtColor(blurred, cv2.COLOR_RGB2LAB)
    _, a, b = cv2.split(np.ascontiguousarray(lab[:height, :width]))
    return a.astype(np.float32) - 128.0, b.astype(np.float32) - 128.0


def _another_colour(
    ref: tuple[np.ndarray, np.ndarray],
    got: tuple[np.ndarray, np.ndarray],
    among: np.ndarray,
    distance: float,
    margin: float,
) -> np.ndarray:
    """The pixels of ``among`` whose a*b* ``got`` are not the reference's ``ref`` there (see
    :func:`colour_element_cells`) nor any the reference shows round them. Measured where
    the cheaper tests leave pixels to measure: on a true copy, almost none are far."""
    apart = np.square(ref[0] - got[0]) + np.square(ref[1] - got[1])
    far: np.ndarray = among & (apart > distance * distance)
    ys, xs = np.nonzero(far)
    if not len(ys):
        return far
    shown = np.stack([ref[0][ys, xs], ref[1][ys, xs]], axis=1)
    seen = np.stack([got[0][ys, xs], got[1][ys, xs]], axis=1)
    shown_chroma, seen_chroma = np.hypot(shown[:, 0], shown[:, 1]), np.hypot(seen[:, 0], seen[:, 1])
    cosine = (shown * seen).sum(axis=1) / np.maximum(shown_chroma * seen_chroma, 1e-6)
    keep = (shown_chroma <= _COLOURED) | (cosine < np.cos(np.radians(margin)))
    if keep.any():
        square = np.ones((2 * _NEIGHBOURHOOD + 1,) * 2, np.uint8)
        unseen = np.zeros(len(ys), bool)
        for channel, plane in enumerate(ref):
            low = cv2.erode(plane, square)[ys, xs] - _NEAR
            high = cv2.dilate(plane, square)[ys, xs] + _NEAR
            unseen |= (seen[:, channel] < low) | (seen[:, channel] > high)
        keep &= unseen
    found = np.zeros_like(far)
    found[ys[keep], xs[keep]] = True
    return found


def hue_turned(
    expected: np.ndarray, aligned: np.ndarray, compared: np.ndarray, cell: int, margin: float
) -> np.ndarray:
    """Cells (where ``compared``) strongly colourful in both pictures (twice the chroma a
    hue needs to count) with hues more than ``margin`` degrees apart, or colourful in both
    with hues nearly opposite: another colour, not a grey or a black bar laid over a
    colour, nor a light colour a brightness edit clipped towards another hue (a pale salmon
    turns cream, a turn well short of the opposite hue)."""
    chroma, turn = _cell_colours(expected, aligned, compared.shape, cell)
    strong = 2 * _HUE_CHROMA
    colourful = (chroma[0] > _HUE_CHROMA) & (chroma[1] > _HUE_CHROMA)
    strongly = (chroma[0] > strong) & (chroma[1] > strong)
    turned: np.ndarray = compared & (
        (strongly & (turn > margin)) | (colourful & (turn > _OPPOSITE_HUE))
    )
    return turned


def _cell_colours(
    expected: np.ndarray, aligned: np.ndarray, shape: tuple[int, ...], cell: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Per cell of a ``shape`` grid of side ``cell``: the chroma of both pictures (the mean
    a*, b* in CIELAB) and the angle in degrees between their hues."""
    rows, cols = shape[0], shape[1]
    means = [
        cell_means(
            cv2.cvtColor(picture, cv2.COLOR_RGB2LAB).astype(np.float32)[
                : rows * cell, : cols * cell, 1:
            ],
            rows,
            cols,
        )
        - 128.0
        for picture in (expected, aligned)
    ]
    chroma = [np.hypot(m[..., 0], m[..., 1]) for m in means]
    angle = [np.degrees(np.arctan2(m[..., 1], m[..., 0])) for m in means]
    turn = np.abs((angle[0] - angle[1] + 180.0) % 360.0 - 180.0)
    return chroma, turn


def colour_at(rgb: np.ndarray, size: tuple[int, int], side: int) -> np.ndarray:
    """``rgb`` resized to ``size`` (width, height) as the grey pictures are (first reduced
    to at most ``side``, as the grey one is for keypoints)."""
    rgb = at_most(rgb, side)
    method = cv2.INTER_AREA if size[0] < rgb.shape[1] else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=method))


def at_most(rgb: np.ndarray, side: int) -> np.ndarray:
    """``rgb`` reduced (by area) to at most ``side`` pixels on its longer side, or as it is."""
    height, width = rgb.shape[:2]
    if max(width, height) <= side:
        return rgb
    scale = side / max(width, height)
    reduced = (max(1, round(width * scale)), max(1, round(height * scale)))
    smaller: np.ndarray = cv2.resize(rgb, reduced, interpolation=cv2.INTER_AREA)
    return smaller


def colour_thumbnail(features: ReferenceFeatures) -> np.ndarray | None:
    """The reference's colour thumbnail (RGB, the grey thumbnail's size), or None for
    entries stored before it was kept."""
    return _colour_thumbnail(features.thumbnail, features.thumb_height, features.thumb_width)


@functools.lru_cache(maxsize=64)
def _colour_thumbnail(stored: bytes, height: int, width: int) -> np.ndarray | None:
    """Decoded once for the few references an upload's candidates compare several times;
    read-only, as it is shared."""
    if not stored.startswith(PNG):
        return None
    rest = stored[png_end(stored) :]
    if not rest.startswith(PNG):
        return None
    decoded = cv2.imdecode(np.frombuffer(rest, dtype=np.uint8), cv2.IMREAD_COLOR)
    if decoded is None or decoded.shape[:2] != (height, width):
        return None
    colour = np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))
    colour.setflags(write=False)
    return colour


def png_end(stored: bytes) -> int:
    """Where the first PNG of ``stored`` ends: after its IEND chunk (walked chunk by chunk,
    since compressed data may hold those four bytes too)."""
    at = len(PNG)
    while at + 8 <= len(stored):
        length = int.from_bytes(stored[at : at + 4], "big")
        kind = stored[at + 4 : at + 8]
        at += 12 + length  # length, type, data, CRC
        if kind == b"IEND":
            return min(at, len(stored))
    return len(stored)
