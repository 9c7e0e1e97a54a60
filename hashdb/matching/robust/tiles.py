"""The upload warped into the reference thumbnail's frame, compared tile by tile and cell by
cell: the part of the geometric check that looks at pixels once a transform is fitted."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from hashdb.matching.robust import content, recolour
from hashdb.store.models import ReferenceFeatures

#: Tiles per side of the tile vote.
GRID = 4


#: The query picture's outlined strokes at its gray's size (:func:`.lettering.outlined`),
#: found when first asked for.
Outlined = Callable[[], np.ndarray]


class Colours:
    """The reference's colour thumbnail (decoded on first use), the query's colours and,
    if known, where the query shows white strokes edged in black."""

    def __init__(
        self,
        reference: ReferenceFeatures,
        query_colour: np.ndarray,
        outlined: Outlined | None = None,
    ) -> None:
        self._reference, self.query, self.outlined = reference, query_colour, outlined

    def reference(self) -> np.ndarray | None:
        return recolour.colour_thumbnail(self._reference)


def colours_for(
    reference: ReferenceFeatures,
    query_colour: np.ndarray | None,
    outlined: Outlined | None = None,
) -> Colours | None:
    return None if query_colour is None else Colours(reference, query_colour, outlined)


def content_agreement(
    model: np.ndarray,
    ref_size: tuple[int, int],
    thumb: np.ndarray,
    query_gray: np.ndarray,
    policy: tuple[float, content.ContentPolicy],
    colours: Colours | None = None,
    colour_must_agree: bool = False,
) -> tuple[float, int, content.Comparison]:
    """Warp the query into the reference thumbnail's frame and compare tile by tile (the
    share of informative tiles that correlate at ``policy``'s tile correlation, and how
    many) and cell by cell (:func:`.content.compare` under ``policy``'s content policy)."""
    tile_correlation, content_policy = policy
    th, tw = thumb.shape
    scale = tw / ref_size[0]
    # model maps reference-frame points to query points; thumbnail point t is reference t/scale.
    to_query = model.astype(np.float64).copy()
    to_query[:, :2] /= scale
    flags = cv2.INTER_AREA | cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(query_gray, to_query, (tw, th), flags=flags)
    coverage = cv2.warpAffine(
        np.full(query_gray.shape, 255, np.uint8), to_query, (tw, th), flags=flags
    )
    ref = cv2.GaussianBlur(thumb.astype(np.float32), (5, 5), 1.2)
    got = cv2.GaussianBlur(warped.astype(np.float32), (5, 5), 1.2)
    # Only pixels the query really covers are compared, and not those the blur smeared the
    # black outside into: a tile 90% covered by a cropped copy would otherwise correlate
    # with its own empty strip, not with the reference.
    covered = cv2.erode((coverage > 250).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    agree = total = 0
    for row in range(GRID):
        for col in range(GRID):
            ys = slice(row * th // GRID, (row + 1) * th // GRID)
            xs = slice(col * tw // GRID, (col + 1) * tw // GRID)
            inside = covered[ys, xs]
            if float(inside.mean()) < 0.75:
                continue
            a, b = ref[ys, xs][inside], got[ys, xs][inside]
            a_std = float(a.std())
            if a_std < 3.0:
                continue  # a flat tile says nothing either way
            total += 1
            b_std = float(b.std())
            if b_std < 1.0:
                continue
            correlation = float(((a - a.mean()) * (b - b.mean())).mean() / (a_std * b_std))
            if correlation >= tile_correlation:
                agree += 1

    def aligned_colours() -> tuple[np.ndarray, np.ndarray] | None:
        # Warped only when asked for: an upload whose grey content differs needs none.
        reference_colour = None if colours is None else colours.reference()
        if colours is None or reference_colour is None:
            return None
        return reference_colour, cv2.warpAffine(colours.query, to_query, (tw, th), flags=flags)

    def aligned_outlined() -> np.ndarray | None:
        if colours is None or colours.outlined is None:
            return None
        # Any query pixel a thumbnail pixel covers: widened by the reduction's step first.
        step = int(np.ceil(max(1.0, *np.hypot(to_query[0, :2], to_query[1, :2]))))
        found = colours.outlined()
        if step > 1:
            found = cv2.dilate(found, np.ones((step, step), np.uint8))
        nearest = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
        outlined: np.ndarray = cv2.warpAffine(found, to_query, (tw, th), flags=nearest)
        return outlined

    compared = content.compare(
        thumb,
        warped.astype(np.float32),
        covered,
        content_policy,
        aligned_colours,
        colour_must_agree=colour_must_agree,
        outlined=aligned_outlined,
    )
    return (agree / total if total else 0.0), total, compared
