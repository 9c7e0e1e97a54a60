"""Does an aligned upload show the reference's content, not just its shape?

Keypoints and a transform prove that two pictures share a shape: an outlined E and an F of
one font align on dozens of corners, and so do two faces that differ only in the mouth. What
tells them apart is the content left over once the upload is warped into the reference's
frame: a missing bar, two extra dots, another mouth, other words.

The reference's thumbnail and the warped upload are compared cell by cell (``CELLS`` a side)
over the pixels the upload covers. A cell *differs* when

* one picture has structure there and the other is (nearly) flat: a bar or a mouth that is
  missing, dots or a stroke that were added (structure is the cell's spread of brightness
  against the whole picture's contrast, so a brightness or contrast edit changes nothing);
* both have structure but it does not correlate (normalised cross-correlation);
* its brightness is not what the picture's own tone map predicts: the upload's brightness
  at each of the reference's grey levels is learnt from the whole picture (the median over
  the pixels of that level), so a tone, gamma or grayscale edit is absorbed, but a stripe
  in another colour is not. Colour edits move grey levels unevenly, so this test is loose;
* inside the rim, it holds a patch of pixels far from that tone map, wider than the strips
  a pixel of misalignment leaves along an edge: an element smaller than the cell (two
  square dots where the reference has a circumflex) that its mean and spread can hide.

Blurring both pictures first absorbs resampling, JPEG and sub-pixel misalignment; an upload
much noisier than the reference is compared blurred more (:mod:`.noise`). Two kinds of
differing cell are excused: on the outer ring of the covered area where the upload is flat
(the fill a small rotation leaves in the corners, the rest of a bar) or, when most cells lie
inside that ring, busier than the reference (the edge of that fill, a strip of a
screenshot's frame), and, for a *detailed* reference only, a few cells anywhere (a logo or
words laid over a photo). A picture with little detail or of flat colours (a glyph, an
icon, a face, a flag: their outlines cross many cells) gets no such allowance: there a few
cells are the whole difference between two symbols, and on its rim only where it is flat
itself (an accent at the top of a tight region is an element, not the edge of a frame). Any
picture may differ in one corner, in a box up to a quarter of the side, where the upload is
busier than the reference (a channel's logo or a watermark pasted there): two symbols differ
where their elements are, not only in a corner.

When the colours are at hand, a comparison that agrees in grey must agree in colour too
(:mod:`.colour_check`: another hue, an element of another colour). One that fails is tried
again against the reference turned by the upload's measured hue shift and saturation factor
(the colours must then agree too: :mod:`.recolour`), and without the white-on-black words
the upload lays over the picture (:mod:`.lettering`). Weaker geometric evidence (inliers
bunched round the reference's detail) asks for every cell to agree, with nothing excused,
and the colours too; only such lettering may be left out there (words across a symbol hide
its keypoints, which is how a copy with words over it comes to this weaker evidence).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np

from hashdb.matching.robust import colour_check, lettering, noise, recolour
from hashdb.matching.robust.cells import (
    COVERED_SHARE,
    corner_overlay,
    covered_cells,
    element_cells,
    flat_colours,
    free_element_cells,
    grid,
    interior,
    tone_residual,
)
from hashdb.matching.robust.content_policy import Comparison, ContentPolicy

__all__ = ["Comparison", "ContentPolicy", "compare", "strict_comparison"]


def compare(
    reference: np.ndarray,
    aligned: np.ndarray,
    covered: np.ndarray,
    policy: ContentPolicy | None = None,
    colours: Callable[[], tuple[np.ndarray, np.ndarray] | None] | None = None,
    *,
    colour_must_agree: bool = False,
    outlined: Callable[[], np.ndarray | None] | None = None,
) -> Comparison:
    """Compare ``aligned`` (the upload warped into the reference thumbnail's frame, float)
    with ``reference`` (uint8 thumbnail) over the ``covered`` pixels.

    With ``colours`` (called only when needed: the reference's colour thumbnail and the
    upload's colours in the same frame, RGB uint8, or None), a comparison that fails is
    tried once more against the reference with the upload's hue shift and saturation
    factor applied (:mod:`.recolour`), then without white-on-black lettering the upload
    adds (:mod:`.lettering`; ``outlined``, called only then, gives the strokes found at the
    upload's own resolution, in the same frame)."""
    policy = policy or ContentPolicy()
    inside = covered.astype(bool)
    blur = noise.blur_for(reference, aligned, inside, policy.blur)
    extra = noise.reference_blur(reference, aligned, inside, blur) if blur == policy.blur else 0.0
    policy = replace(policy, blur=blur, reference_blur=extra)
    if colour_must_agree:
        # Weaker geometric evidence: every cell must agree, in grey and in colour (no rim,
        # corner or overlay excuses: the dots of an Ä on the rim of a tight trim are not fill).
        found = _compare(reference, aligned, covered, policy, excuses=False)
        checked = colour_check.colours_agree(reference, found, inside, colours)
        if checked.agrees or colours is None or (pictures := colours()) is None:
            return checked
        # Words laid over the picture hide keypoints too, which is how such an upload
        # gets here: without them, the rest must agree just as strictly.
        strict = policy.with_margin()
        return (
            _lettering_left_out(reference, aligned, inside, strict, pictures, outlined, strict=True)
            or checked
        )
    found, agreeing = _compare_cells(reference, aligned, covered, policy)
    if found.agrees:
        return colour_check.colour_checked(reference, found, agreeing, inside, colours, policy)
    pictures = None if colours is None else colours()
    if pictures is None:
        return found
    retry = policy.with_margin()
    # Without the lettering, nothing may pass for a logo laid over a corner either: a
    # poster with words over it and other words of its own in a corner would be
    # excused twice (a poster in a known's template, confirmed in place).
    unlettered = retry.for_second_alignment()
    return _recoloured(reference, aligned, inside, retry, pictures) or (
        _lettering_left_out(reference, aligned, inside, unlettered, pictures, outlined) or found
    )


def _recoloured(
    reference: np.ndarray,
    aligned: np.ndarray,
    inside: np.ndarray,
    policy: ContentPolicy,
    pictures: tuple[np.ndarray, np.ndarray],
) -> Comparison | None:
    """The comparison against the reference with the upload's hue shift and saturation
    factor applied, if it agrees in grey and, inside the rim, in colour (a stripe of another
    colour at the grey of the one it replaced agrees in grey)."""
    changed = recolour.recoloured(reference, *pictures, inside)
    if changed is None:
        return None
    again = _compare(changed[0], aligned, inside, policy)
    if not again.agrees or colour_check.colour_differs(
        reference.shape, changed[1], pictures[1], inside
    ):
        return None
    return again


def _lettering_left_out(
    reference: np.ndarray,
    aligned: np.ndarray,
    inside: np.ndarray,
    policy: ContentPolicy,
    pictures: tuple[np.ndarray, np.ndarray],
    outlined: Callable[[], np.ndarray | None] | None,
    *,
    strict: bool = False,
) -> Comparison | None:
    """The comparison without the white-on-black lettering the upload adds
    (:mod:`.lettering`), if it agrees in grey and in colour, the lettering's own pixels
    taken as the reference's: in hue in the cells that agree in grey, as any comparison
    that agrees (a flag's stripe of another colour at the same grey, with words over it,
    agrees in grey), or, ``strict``, with no cell excused and in colour everywhere.

    The lettering is looked for on the thumbnails first; if none is found there, or the
    rest does not agree without it, and the reference is not of flat colours, once more
    with the strokes ``outlined`` gives (found at the upload's own resolution, called only
    then)."""
    found = lettering.lettering(*pictures, inside)
    again = (
        None
        if found is None
        else _without(reference, aligned, inside, found, policy, pictures, strict)
    )
    if again is not None or outlined is None:
        return again
    if policy.flat_share is None or flat_colours(
        reference, inside, policy.flat_share, policy.flat_spread
    ):
        # Words across a drawing of flat colours may hide all that tells it from another
        # (an icon's cross under them): only the lettering the thumbnails show, whose
        # strokes are thick enough to leave the drawing round them to compare.
        return None
    fine = outlined()
    found = None if fine is None else lettering.lettering(*pictures, inside, fine)
    return (
        None
        if found is None
        else _without(reference, aligned, inside, found, policy, pictures, strict)
    )


def _without(
    reference: np.ndarray,
    aligned: np.ndarray,
    inside: np.ndarray,
    left_out: np.ndarray,
    policy: ContentPolicy,
    pictures: tuple[np.ndarray, np.ndarray],
    strict: bool,
) -> Comparison | None:
    """The comparison of :func:`_lettering_left_out` with the pixels ``left_out`` left out,
    if it agrees."""
    rest = inside & ~left_out
    again, agreeing = _compare_cells(
        reference, aligned, rest, policy, excuses=not strict, frame=inside
    )
    if not again.agrees:
        return None
    reference_colour, aligned_colour = pictures
    shown = np.where(left_out[..., None], reference_colour, aligned_colour)
    if strict:
        again = colour_check.colours_agree(
            reference, again, rest, lambda: (reference_colour, shown)
        )
    else:
        again = colour_check.colour_checked(
            reference, again, agreeing, rest, lambda: (reference_colour, shown), policy
        )
        if again.agrees:
            # And in colour, not hue alone: a flag whose stripe is a darker green than the
            # reference's agrees in hue, and in grey too once the tone map has learnt that
            # stripe's level; words laid over a picture leave the colours round them be.
            again = colour_check.colours_agree(
                reference, again, rest, lambda: (reference_colour, shown)
            )
    return replace(again, lettered=True) if again.agrees else None


def strict_comparison(reference: np.ndarray, other: np.ndarray) -> Comparison:
    """Two pictures of one frame compared over all of it, every cell, nothing excused."""
    covered = np.ones(reference.shape[:2], np.uint8)
    return _compare(reference, other, covered, ContentPolicy(), excuses=False)


def _compare(
    reference: np.ndarray,
    aligned: np.ndarray,
    covered: np.ndarray,
    policy: ContentPolicy,
    excuses: bool = True,
) -> Comparison:
    return _compare_cells(reference, aligned, covered, policy, excuses)[0]


def _compare_cells(
    reference: np.ndarray,
    aligned: np.ndarray,
    covered: np.ndarray,
    policy: ContentPolicy,
    excuses: bool = True,
    frame: np.ndarray | None = None,
) -> tuple[Comparison, np.ndarray]:
    """The comparison, and the cells inside its rim it compared and found agreeing (no
    excuse needed). The rim is that of ``frame`` (default ``covered``): lettering left out
    of ``covered`` is a hole in it, and the cells round a hole are no edge an edit filled."""
    size = (5, 5) if policy.blur == 1.0 else (0, 0)
    ref = cv2.GaussianBlur(reference.astype(np.float32), size, policy.blur)
    if policy.reference_blur:
        ref = cv2.GaussianBlur(ref, (0, 0), policy.reference_blur)
    got = cv2.GaussianBlur(aligned.astype(np.float32), size, policy.blur)
    inside = covered.astype(bool)
    cell, rows, cols = grid(ref.shape)
    if rows < 2 or cols < 2 or int(inside.sum()) < cell * cell * 4:
        return Comparison(0, 0, 0, False), np.zeros((max(rows, 0), max(cols, 0)), bool)
    ref_values, got_values = ref[inside], got[inside]
    ref_low, ref_high = np.percentile(ref_values, (2, 98))
    got_low, got_high = np.percentile(got_values, (2, 98))
    ref_contrast = max(float(ref_high - ref_low), 24.0)
    got_contrast = max(float(got_high - got_low), 24.0)
    residual = tone_residual(ref, got, inside, ref_low, ref_high) / got_contrast

    def blocks(image: np.ndarray) -> np.ndarray:
        cut = image[: rows * cell, : cols * cell]
        return cut.reshape(rows, cell, cols, cell).swapaxes(1, 2).reshape(rows, cols, -1)

    mask = blocks(inside.astype(np.float32))
    counts = mask.sum(axis=2)
    compared = counts >= COVERED_SHARE * cell * cell
    if not compared.any():
        return Comparison(0, 0, 0, False), compared
    weight = np.maximum(counts, 1.0)
    a, b = blocks(ref), blocks(got)
    a_mean = (a * mask).sum(axis=2) / weight
    b_mean = (b * mask).sum(axis=2) / weight
    a_dev = (a - a_mean[..., None]) * mask
    b_dev = (b - b_mean[..., None]) * mask
    a_std = np.sqrt((a_dev**2).sum(axis=2) / weight)
    b_std = np.sqrt((b_dev**2).sum(axis=2) / weight)
    correlation = (a_dev * b_dev).sum(axis=2) / weight / np.maximum(a_std * b_std, 1e-6)
    a_structure, b_structure = a_std / ref_contrast, b_std / got_contrast
    structured = np.maximum(a_structure, b_structure) >= policy.structure
    weaker = np.minimum(a_structure, b_structure) / np.maximum(
        np.maximum(a_structure, b_structure), 1e-6
    )
    structure_differs = structured & (
        (weaker < policy.structure_ratio) | (correlation < policy.correlation)
    )
    tone_differs = (blocks(residual) * mask).sum(axis=2) / weight > policy.tone
    differs = compared & (structure_differs | tone_differs)
    if policy.element_area is not None:
        elements = element_cells(
            residual, cell, policy.element_residual, policy.element_width, policy.element_area
        )
        differs |= compared & interior(compared) & elements
    # The rim of the covered area, where an upload that is flat may be fill.
    edge = compared if frame is None else covered_cells(frame, cell, rows, cols)
    rim = compared & ~interior(edge)
    busier = b_structure > a_structure
    # With most cells inside the rim to decide, a busier upload on the rim may be excused.
    busier_rim_excused = int((compared & ~rim).sum()) * 2 >= int(compared.sum())
    structured_rim = differs & rim & busier & (a_structure >= policy.structure)
    by_structure = (
        float((a_structure[compared] >= policy.structure).mean()) >= policy.detailed_share
    )
    rim_needs_flat = policy.rim_elements and busier_rim_excused and bool(structured_rim.any())
    # A rim cell busier where the reference is flat may hold an element standing free of
    # the covered area's edge (the dots of a ÿ just under a crop's edge, against a y).
    free_elements = np.zeros_like(compared)
    if (
        policy.rim_elements
        and busier_rim_excused
        and policy.element_area is not None
        and policy.element_clearance is not None
        and bool((differs & rim & busier & ~structured_rim).any())
    ):
        free_elements = rim & free_element_cells(
            residual,
            inside if frame is None else frame.astype(bool),
            cell,
            policy.element_residual,
            policy.element_width,
            policy.element_area,
            policy.element_clearance,
        )
    # Measured only when it can change the verdict (it costs as much as the cells do).
    flat_measured = by_structure or rim_needs_flat or bool(free_elements.any())
    flat = (
        policy.flat_share is not None
        and flat_measured
        and flat_colours(reference, inside, policy.flat_share, policy.flat_spread)
    )
    detailed = by_structure and not flat
    fill = b_structure < policy.structure
    if busier_rim_excused:
        # With most cells inside the rim to decide, a rim cell where the upload is busier
        # than the reference is an edge the edit put there (a rotation's fill, a strip of
        # a screenshot's frame), not content the reference lacks. On a picture of flat
        # colours, only where the reference is flat too: there what the reference shows
        # on its rim is an element (the accent of an Ê at the top of a tight region).
        fill = fill | (busier & ~structured_rim if policy.rim_elements and flat else busier)
    # Round a hole (lettering left out) the upload may keep the words' blurred edges, but
    # what the reference has there and the upload lacks is content, not fill.
    hole = compared & ~interior(compared) & ~rim
    if (
        policy.flat_share is not None
        and bool((differs & hole & busier).any())
        and (
            flat
            if flat_measured
            else flat_colours(reference, inside, policy.flat_share, policy.flat_spread)
        )
    ):
        # On a drawing of flat colours, only where the reference is plain: an element it
        # shows round the words under a busier upload is another element there (an icon's
        # cross round words that hide its minus sign), not the words' blurred edge.
        hole = hole & (a_structure < policy.structure)
    excused = differs & ((rim & fill) | (hole & busier)) & excuses
    if excuses and corner_overlay(
        differs & ~excused, compared, a_structure, b_structure, policy.corner_share
    ):
        excused = excused | differs
    elif (
        flat
        and bool(free_elements.any())  # found only with ``policy.rim_elements`` on
        and not corner_overlay(
            (differs & ~excused) | free_elements,
            compared,
            a_structure,
            b_structure,
            policy.corner_share,
        )
    ):
        # Only ever a refusal: the free elements are judged once the excuses above are
        # settled, so they never tip the corner's vote for a cell that differs otherwise;
        # free elements that are all a corner's overlay (a logo set in from the corner)
        # stay excused, as they were.
        differs = differs | free_elements
        excused = excused & ~free_elements
    left = int((differs & ~excused).sum())
    allowance = int(policy.overlay_share * int(compared.sum())) if detailed and excuses else 0
    allowed = min(left, allowance)
    found = Comparison(int(compared.sum()), left - allowed, int(excused.sum()) + allowed, detailed)
    return found, compared & ~differs & interior(compared)
