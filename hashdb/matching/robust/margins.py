"""What a trim cut away must not hide what the reference shows.

A trimmed picture (the upload without its plain borders, bars or caption) is aligned to the
reference and compared over the part of the reference it covers. A glyph on a black ground
trimmed tight leaves out the black round it, and with it whatever the reference has there:
an A aligned to an Á covers the letter, not the accent above it, and agrees. So, once a
trimmed picture is confirmed, the whole upload is laid on the reference with the same
alignment: where the part the trim cut away lands on the reference, and it is the plain
ground the picture stands on (flat, of the trimmed picture's own edge colour), the
reference must be plain there too. A letterbox bar or a caption lands outside the
reference's frame, or is not the picture's own ground (a caption is words on a bar of its
own colour), and is not judged.

Nor may a plain part the trim cut away land on a plain part of the reference in another
hue: a flag whose stripe at the edge is orange where the known one's is purple trims to
its other two stripes, which agree (at the same grey or another: a plain part is not
compared in grey, since a brightness edit moves it). The colours are compared after the
upload's own hue shift and saturation factor (:mod:`.recolour`), measured where the
trimmed picture lies, so a recoloured copy, turned alike everywhere, is not refused.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from hashdb.matching.robust import cells, content, recolour
from hashdb.matching.robust.placement import ProbeFrame

#: A cell is plain when its spread of brightness is under this share of the reference's
#: contrast, and has structure at or above it (as in the content check).
_STRUCTURE = content.ContentPolicy.structure
#: The upload's margin is the picture's own ground when it is within this many grey levels
#: of the trimmed picture's edge.
_GROUND = 24.0
#: ... when at least this share of the trimmed picture's edge has one level (its ground).
_PLAIN_EDGE = 0.9
#: Side of the square (thumbnail pixels) round the trimmed picture left unjudged.
_CLEAR = 13
#: Cells judged: at least this share covered by the cut-away part.
_COVERED = 0.6


#: Cells of the cut-away part in another hue than the reference's, both plain, that refuse
#: the trim, and by how many degrees (as the content check's colour test).
_RECOLOURED_CELLS = content.ContentPolicy.hue_cells
_HUE_MARGIN = content.ContentPolicy.hue_margin or 50.0


def hides_content(
    thumb: np.ndarray,
    reference_size: tuple[int, int],
    model: np.ndarray,
    probe: tuple[np.ndarray, ProbeFrame],
    whole: tuple[np.ndarray, ProbeFrame],
    colours: Callable[[], tuple[np.ndarray, np.ndarray] | None] | None = None,
) -> bool:
    """Whether the part of the upload a trim cut away lands, as plain ground, on cells
    where the reference (``thumb``, of a reference ``reference_size`` large) has
    structure, or, plain, on plain cells of the reference in another hue.
    ``model`` maps reference points to the trimmed ``probe`` picture's; ``whole`` is the
    whole upload as a probe (grey and frame); ``colours`` gives, if known, the reference's
    colour thumbnail and the whole upload in colour at the size of its grey (called only
    when plain cells of both are there to compare)."""
    probe_gray, probe_frame = probe
    whole_gray, whole_frame = whole
    th, tw = thumb.shape
    scale = tw / reference_size[0]
    to_probe = np.vstack([model.astype(np.float64), [0.0, 0.0, 1.0]]) @ np.diag(
        [1 / scale, 1 / scale, 1.0]
    )
    # Thumbnail point -> trimmed picture -> fractions of the upload -> the whole upload's grey.
    to_whole = (
        np.diag([whole_frame.size[0], whole_frame.size[1], 1.0])
        @ probe_frame.to_upload()
        @ to_probe
    )
    flags = cv2.INTER_AREA | cv2.WARP_INVERSE_MAP
    size = (tw, th)
    shown = cv2.warpAffine(whole_gray, to_whole[:2], size, flags=flags).astype(np.float32)
    by_whole = cv2.warpAffine(_full(whole_gray), to_whole[:2], size, flags=flags)
    by_probe = cv2.warpAffine(_full(probe_gray), to_probe[:2], size, flags=flags)
    # Judged a few pixels clear of the trimmed picture (an alignment a little off in
    # scale puts the reference's own edge just past it)
    # and the whole upload's own edge (a crop's edge may cut the reference's).
    clear = np.ones((_CLEAR, _CLEAR), np.uint8)
    cut_away = (cv2.erode((by_whole > 250).astype(np.uint8), clear) > 0) & (
        cv2.dilate((by_probe > 5).astype(np.uint8), clear) == 0
    )
    if not cut_away.any():
        return False
    ground = _ground_level(whole_gray, _box_in(probe_frame, whole_frame))
    ref = cv2.GaussianBlur(thumb.astype(np.float32), (5, 5), 1.0)
    contrast = max(float(np.subtract(*np.percentile(ref, (98, 2)))), 24.0)
    # The content check's grid of cells.
    cell, rows, cols = cells.grid(thumb.shape)
    plain_both = np.zeros((rows, cols), bool)
    for row in range(rows):
        for col in range(cols):
            window = (slice(row * cell, (row + 1) * cell), slice(col * cell, (col + 1) * cell))
            inside = cut_away[window]
            if inside.mean() < _COVERED:
                continue
            upload = shown[window][inside]
            if float(upload.std()) >= _STRUCTURE * contrast:
                continue  # not plain: words, a bar's edge, a picture's own content
            reference = ref[window][inside]
            if float(reference.std()) >= _STRUCTURE * contrast:
                # Plain ground (the trimmed picture stands on it) over the reference's
                # structure; None: the trimmed picture is a crop of a bigger one.
                level = float(np.median(upload))
                if ground is not None and abs(level - ground) <= _GROUND:
                    return True
            else:
                plain_both[row, col] = True
    if colours is None or int(plain_both.sum()) < _RECOLOURED_CELLS:
        return False
    pictures = colours()
    if pictures is None:
        return False
    covered = by_whole > 250
    shown_colour = cv2.warpAffine(pictures[1], to_whole[:2], size, flags=flags)
    trimmed = covered & (by_probe > 250)
    return _recoloured(thumb, pictures[0], shown_colour, covered, trimmed, plain_both, cell)


def _recoloured(
    thumb: np.ndarray,
    colour: np.ndarray,
    shown: np.ndarray,
    whole: np.ndarray,
    trimmed: np.ndarray,
    judged: np.ndarray,
    cell: int,
) -> bool:
    """Whether enough ``judged`` cells of the whole upload laid on the reference (``shown``,
    RGB, where ``whole``) have another hue than the reference's (``colour``), colourful in
    both, once the upload's own colour edit is applied to the reference (not judged when
    the reference has too few saturated colours to measure that edit by). The edit is
    measured where the trimmed picture lies (``trimmed``), the part the confirmation
    compared, or, with too few saturated colours there (a glyph trimmed tight off its
    coloured ground), over all the upload covers: a recoloured copy is turned alike
    everywhere, while a flag whose middle stripe agrees with the known one's other stripe
    only under one turn, and whose cut-away stripe only under another, is another flag. A
    black or white bar (a caption's) over a colour is not another hue."""
    if recolour.washed_out(colour, shown, whole):
        return False  # a grayscale copy: its colours say nothing
    changed = recolour.recoloured(thumb, colour, shown, trimmed)
    if changed is None:
        changed = recolour.recoloured(thumb, colour, shown, whole)
    if changed is None:
        return False  # too few saturated colours to measure the upload's colour edit by
    turned = recolour.hue_turned(changed[1], shown, judged, cell, _HUE_MARGIN)
    return int(turned.sum()) >= _RECOLOURED_CELLS


def _full(gray: np.ndarray) -> np.ndarray:
    return np.full(gray.shape, 255, np.uint8)


def _box_in(probe: ProbeFrame, whole: ProbeFrame) -> tuple[int, int, int, int]:
    """The trimmed picture's box in the whole upload's grey (whose levels are its own:
    each probe's grey is stretched on its own)."""
    sx, sy = whole.size[0] / whole.upload[0], whole.size[1] / whole.upload[1]
    x0, y0, x1, y1 = probe.box
    return round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)


def _ground_level(gray: np.ndarray, box: tuple[int, int, int, int]) -> float | None:
    """The grey level of the plain ground the picture in ``box`` stands on: the level
    round its edge, if nearly all of the edge has it (a glyph or a face on its ground, not
    a crop of a poster or a screenshot, whose edge cuts through its content); else None."""
    x0, y0, x1, y1 = box
    picture = gray[y0:y1, x0:x1]
    if min(picture.shape) < 4:
        return None
    rims = (picture[:2], picture[-2:], picture[:, :2], picture[:, -2:])
    edge = np.concatenate([rim.ravel() for rim in rims]).astype(np.float32)
    level = float(np.median(edge))
    if float((np.abs(edge - level) <= _GROUND).mean()) < _PLAIN_EDGE:
        return None
    return level
