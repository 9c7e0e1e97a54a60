"""Does an upload that agrees with the reference in grey agree in colour too?

The content check (:mod:`.content`) compares grey levels and learns a tone map, so a stripe
of another colour at the grey of the one it replaced, or pink brows on a pale green face,
agree in grey. These verdicts look at the colours of the cells the grey comparison found
agreeing, after the upload's measured hue shift and saturation factor (:mod:`.recolour`).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from hashdb.matching.robust import recolour
from hashdb.matching.robust.cells import covered_cells, grid, interior
from hashdb.matching.robust.content_policy import Comparison, ContentPolicy


def colours_agree(
    reference: np.ndarray,
    found: Comparison,
    inside: np.ndarray,
    colours: Callable[[], tuple[np.ndarray, np.ndarray] | None] | None,
) -> Comparison:
    """``found`` if it agrees in grey and, inside the rim, in colour too (after the
    upload's hue shift and saturation factor, if it has any); otherwise (or without
    colours to compare, or with the upload's washed out to grey) a comparison that does
    not agree."""
    pictures = None if not found.agrees or colours is None else colours()
    if pictures is not None and not recolour.washed_out(*pictures, inside):
        changed = recolour.recoloured(reference, *pictures, inside)
        expected = pictures[0] if changed is None else changed[1]
        if not colour_differs(reference.shape, expected, pictures[1], inside):
            return found
    return Comparison(found.cells, max(found.differing, 1), found.excused, found.detailed)


def colour_checked(
    reference: np.ndarray,
    found: Comparison,
    agreeing: np.ndarray,
    inside: np.ndarray,
    colours: Callable[[], tuple[np.ndarray, np.ndarray] | None] | None,
    policy: ContentPolicy,
) -> Comparison:
    """``found`` (which agrees in grey) unless cells it found agreeing, inside the rim, have
    another hue than the reference turned by the upload's hue shift and saturation factor
    (:mod:`.recolour`), by more than ``policy.hue_margin``, or hold an element of another
    colour (:func:`_colour_elements`). Without colours on either side, or with the upload's
    washed out to grey, the grey verdict stands."""
    margin = policy.hue_margin
    pictures = None if margin is None or colours is None else colours()
    if margin is None or pictures is None or recolour.washed_out(*pictures, inside):
        return found
    changed = recolour.recoloured(reference, *pictures, inside)
    expected = pictures[0] if changed is None else changed[1]
    cell, _, _ = grid(reference.shape)
    differs = recolour.hue_differs(expected, pictures[1], agreeing, cell, margin)
    if int(differs.sum()) < policy.hue_cells:
        # As many as an element of another colour makes, if any.
        shown = (pictures[0],) if changed is None else (pictures[0], changed[1])
        differs = _colour_elements(shown, pictures[1], agreeing, inside, cell, margin, policy)
        if not differs.any():
            return found
    return Comparison(found.cells, int(differs.sum()), found.excused, found.detailed)


def _colour_elements(
    shown: tuple[np.ndarray, ...],
    aligned: np.ndarray,
    agreeing: np.ndarray,
    inside: np.ndarray,
    cell: int,
    margin: float,
    policy: ContentPolicy,
) -> np.ndarray:
    """The cells found agreeing in grey that hold an element of another colour than the
    reference ``shown`` as it is and as the upload's colour edit would turn it (a hue
    shift measured on few pixels may be wrong; a true element differs from both): pink
    brows on a pale green face, at nearly its grey. Not next to a cell inside the rim that
    differed and was excused: a logo laid over a corner reaches a little past its cells."""
    if policy.colour_element_distance is None:
        return np.zeros_like(agreeing)
    rows, cols = agreeing.shape
    excused = interior(covered_cells(inside, cell, rows, cols)) & ~agreeing
    beside = cv2.dilate(excused.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    found: np.ndarray = recolour.colour_element_cells(
        shown,
        aligned,
        agreeing & ~beside,
        cell,
        policy.colour_element_distance,
        margin,
        policy.colour_element_width,
        policy.colour_element_area,
    )
    return found


def colour_differs(
    shape: tuple[int, ...], expected: np.ndarray, aligned: np.ndarray, inside: np.ndarray
) -> bool:
    """Whether a cell inside the rim has another colour in ``aligned`` than in ``expected``."""
    cell, rows, cols = grid(shape)
    compared = covered_cells(inside, cell, rows, cols)
    differs = recolour.chroma_differs(expected, aligned, compared, cell)
    return bool((differs & interior(compared)).any())
