"""When inliers bunched in one part of the reference still prove the match.

The geometric check wants the inliers' box to cover a share of the reference's frame: a
shared word or emblem alone gives inliers in one corner. Some pictures have all their
detail in one part (a glyph on a wide background, a flag's emblem on plain stripes), and
there the inliers cannot spread further than the detail does.
"""

from __future__ import annotations

import numpy as np

Size = tuple[int, int]


def over_detail(
    ref_size: Size, thumb: np.ndarray, extent: np.ndarray, model: np.ndarray, query_size: Size
) -> bool:
    """Whether inliers bunched in a small part of the reference's frame still cover most of
    its detail, because that detail is itself small (a glyph or an icon on a wide plain
    background: the box of what is not background is under half the frame), and the
    upload shows all of it, so nothing of the reference escapes the content check. A
    picture with content everywhere (a flag's stripes) keeps the rule on the whole frame."""
    border = np.concatenate([thumb[0], thumb[-1], thumb[:, 0], thumb[:, -1]]).astype(np.int16)
    background = int(np.median(border))
    ys, xs = np.nonzero(np.abs(thumb.astype(np.int16) - background) > 24)
    if len(ys) == 0:
        return False
    scale = np.array([ref_size[0] / thumb.shape[1], ref_size[1] / thumb.shape[0]])
    low = np.array([xs.min(), ys.min()]) * scale
    high = np.array([xs.max() + 1, ys.max() + 1]) * scale
    detail = float((high - low).prod())
    if detail >= 0.5 * float(ref_size[0] * ref_size[1]):
        return False
    if float(extent[0] * extent[1]) < 0.5 * detail:
        return False
    return _shown(low, high, model, query_size)


def over_keypoints(
    ref_points: np.ndarray, extent: np.ndarray, model: np.ndarray, query_size: Size, share: float
) -> bool:
    """Whether inliers bunched in a small part of the reference's frame still spread over
    ``share`` of the box its own keypoints fill (a picture whose detail sits in one part,
    such as a flag's emblem on plain stripes), and the upload shows all of that box (a trim
    that took a plain stripe for a bar must not hide the word on it). The caller then wants
    the colours to agree too, with nothing excused: flags that differ by a stripe of another
    colour at the same grey pass a grey comparison."""
    if len(ref_points) < 2:
        return False
    low, high = ref_points.min(axis=0), ref_points.max(axis=0)
    box = high - low
    area = float(box[0] * box[1])
    if area <= 0 or float(extent[0] * extent[1]) < share * area:
        return False
    return _shown(low, high, model, query_size)


def _shown(low: np.ndarray, high: np.ndarray, model: np.ndarray, query_size: Size) -> bool:
    """Whether the reference box ``low``-``high`` lies inside the query once placed by
    ``model`` (reference -> query)."""
    corners = np.array(
        [[low[0], low[1], 1], [high[0], low[1], 1], [high[0], high[1], 1], [low[0], high[1], 1]]
    )
    placed = corners @ model.T
    width, height = query_size
    return bool(
        (placed[:, 0] >= 0).all()
        and (placed[:, 1] >= 0).all()
        and (placed[:, 0] <= width).all()
        and (placed[:, 1] <= height).all()
    )
