"""The content check's grid: square cells over the reference's thumbnail, which of them
lie inside the rim of the compared area, a corner box of differing cells, the tone map
that predicts the upload's brightness from the reference's, and whether the reference is
clipart of flat colours (:mod:`.content`)."""

from __future__ import annotations

import cv2
import numpy as np

#: Cells per side of the comparison grid.
CELLS = 16
#: Grey levels of the reference that get their own tone-map value.
_LEVELS = 24
#: A cell is compared when this share of its pixels is covered.
COVERED_SHARE = 0.6


def grid(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The side of the comparison's square cells, and how many rows and columns fit."""
    height, width = shape[:2]
    cell = max(4, max(height, width) // CELLS)
    return cell, height // cell, width // cell


def cell_counts(mask: np.ndarray, cell: int, rows: int, cols: int) -> np.ndarray:
    """How many pixels of ``mask`` (0/1 or boolean) each cell of the grid holds, exactly."""
    counts: np.ndarray = (
        mask[: rows * cell, : cols * cell].reshape(rows, cell, cols, cell).sum(axis=(1, 3))
    )
    return counts


def cell_means(picture: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The mean of each cell of ``picture`` (float32, cut to ``rows`` by ``cols`` cells of
    one whole size, channels kept): an area resize by a whole factor averages exactly those
    blocks, at half the cost of a reshaped mean."""
    means: np.ndarray = cv2.resize(
        np.ascontiguousarray(picture), (cols, rows), interpolation=cv2.INTER_AREA
    )
    return means.reshape(rows, cols, *picture.shape[2:])


def covered_cells(covered: np.ndarray, cell: int, rows: int, cols: int) -> np.ndarray:
    """Which cells of the grid ``covered`` (a mask of pixels) covers enough to compare."""
    found: np.ndarray = cell_counts(covered, cell, rows, cols) >= COVERED_SHARE * cell * cell
    return found


def corner_overlay(
    left: np.ndarray,
    compared: np.ndarray,
    ref_structure: np.ndarray,
    got_structure: np.ndarray,
    corner_share: float,
) -> bool:
    """Whether every differing cell sits in one corner of the covered area, in a box at most
    ``corner_share`` of its side, and the upload has more structure than the reference
    in most of them: something laid over a corner (a channel's logo, a watermark). An
    element that differs between two symbols is not confined to a corner, and a mark that
    is missing leaves the upload flatter there, not busier."""
    rows, cols = np.nonzero(left)
    if len(rows) == 0 or corner_share <= 0:
        return False
    covered_rows, covered_cols = np.nonzero(compared)
    side = max(1, round(corner_share * CELLS))
    if rows.max() - rows.min() >= side or cols.max() - cols.min() >= side:
        return False
    at_top = rows.min() <= covered_rows.min() + 1
    at_bottom = rows.max() >= covered_rows.max() - 1
    at_left = cols.min() <= covered_cols.min() + 1
    at_right = cols.max() >= covered_cols.max() - 1
    if not ((at_top or at_bottom) and (at_left or at_right)):
        return False
    return float((got_structure[left] > ref_structure[left]).mean()) >= 0.5


def interior(compared: np.ndarray) -> np.ndarray:
    """Cells whose four neighbours are compared cells too."""
    padded = np.pad(compared, 1, constant_values=False)
    interior: np.ndarray = (
        compared & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    )
    return interior


def tone_residual(
    ref: np.ndarray, got: np.ndarray, inside: np.ndarray, low: float, high: float
) -> np.ndarray:
    """|upload - tone map(reference)|, the tone map being the upload's median brightness at
    each reference grey level (from a histogram: one pass, no sort)."""
    levels = np.clip(
        ((ref - low) * (_LEVELS / max(high - low, 1.0))).astype(np.int32), 0, _LEVELS - 1
    )
    brightness = np.clip(got, 0, 255).astype(np.int32)
    histogram = np.bincount(
        (levels[inside] * 256 + brightness[inside]).ravel(), minlength=_LEVELS * 256
    ).reshape(_LEVELS, 256)
    totals = histogram.sum(axis=1)
    cumulative = np.cumsum(histogram, axis=1)
    medians = (cumulative < (totals[:, None] + 1) // 2).sum(axis=1).astype(np.float32)
    seen = totals > 0
    tone = np.interp(np.arange(_LEVELS), np.flatnonzero(seen), medians[seen]).astype(np.float32)
    residual: np.ndarray = np.abs(got - tone[levels])
    residual[~inside] = 0.0
    return residual


def flat_colours(reference: np.ndarray, inside: np.ndarray, share: float, spread: float) -> bool:
    """Whether ``share`` or more of the ``reference``'s (uint8) ``inside`` pixels, away from
    the edge of that area, lie in flat colour, their 3-pixel neighbourhood spreading less
    than ``spread`` of the picture's contrast: clipart drawn in outlines and fills, not a
    photo. Against the picture's own contrast: a dark scene's smooth shades are its detail."""
    away = cv2.erode(inside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if not away.any():
        return False
    values = reference.astype(np.float32)
    cumulative = np.cumsum(np.bincount(reference[away].ravel(), minlength=256))
    low, high = np.searchsorted(cumulative, (0.02 * cumulative[-1], 0.98 * cumulative[-1]))
    mean = cv2.blur(values, (3, 3))
    variance = cv2.blur(values * values, (3, 3)) - mean * mean
    still = (spread * max(float(high - low), 24.0)) ** 2
    return float((variance[away] < still).mean()) >= share


def element_cells(
    residual: np.ndarray, cell: int, level: float, width: int, area: int
) -> np.ndarray:
    """Cells holding ``area`` pixels or more of a patch where ``residual`` (the tone-map
    residual, a share of contrast) exceeds ``level`` and that is ``width`` pixels wide at
    least: an element one picture has and the other lacks, which a cell's mean, spread and
    correlation can miss when both pictures have something there (two square dots and a
    circumflex). A pixel or two of misalignment leaves strips along edges, narrower."""
    rows, cols = residual.shape[0] // cell, residual.shape[1] // cell
    found: np.ndarray = cell_counts(_elements(residual, level, width), cell, rows, cols) >= area
    return found


def free_element_cells(
    residual: np.ndarray,
    covered: np.ndarray,
    cell: int,
    level: float,
    width: int,
    area: int,
    clearance: int,
) -> np.ndarray:
    """Cells holding ``area`` pixels or more of such patches (:func:`element_cells`) that
    do not come within ``clearance`` pixels of the ``covered`` area's edge: an element that
    stands free inside the compared area, where the fill a turn leaves or a strip of a
    frame runs along that edge."""
    rows, cols = residual.shape[0] // cell, residual.shape[1] // cell
    elements = _elements(residual, level, width)
    count, labels = cv2.connectedComponents(elements, connectivity=8)
    if count <= 1:
        return np.zeros((rows, cols), bool)
    square = np.ones((2 * clearance + 1, 2 * clearance + 1), np.uint8)
    near_edge = cv2.erode(covered.astype(np.uint8), square, borderValue=0) == 0
    touching = np.unique(labels[near_edge & (elements > 0)])
    free = (elements > 0) & ~np.isin(labels, touching)
    found: np.ndarray = cell_counts(free.astype(np.uint8), cell, rows, cols) >= area
    return found


def _elements(residual: np.ndarray, level: float, width: int) -> np.ndarray:
    strong = (residual > level).astype(np.uint8)
    opened: np.ndarray = cv2.morphologyEx(strong, cv2.MORPH_OPEN, np.ones((width, width), np.uint8))
    return opened
