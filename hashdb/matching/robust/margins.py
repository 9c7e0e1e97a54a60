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
"""

from __future__ import annotations

import cv2
import numpy as np

from hashdb.matching.robust import cells, content
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


def hides_content(
    thumb: np.ndarray,
    reference_size: tuple[int, int],
    model: np.ndarray,
    probe: tuple[np.ndarray, ProbeFrame],
    whole: tuple[np.ndarray, ProbeFrame],
) -> bool:
    """Whether the part of the upload a trim cut away lands, as plain ground, on cells
    where the reference (``thumb``, of a reference ``reference_size`` large) has
    structure. ``model`` maps reference points to the trimmed ``probe`` picture's; ``whole``
    is the whole upload as a probe (grey and frame)."""
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
    if ground is None:
        return False  # the trimmed picture does not stand on a plain ground (a crop of one)
    ref = cv2.GaussianBlur(thumb.astype(np.float32), (5, 5), 1.0)
    contrast = max(float(np.subtract(*np.percentile(ref, (98, 2)))), 24.0)
    # The content check's grid of cells.
    cell, rows, cols = cells.grid(thumb.shape)
    for top in range(0, rows * cell, cell):
        for left in range(0, cols * cell, cell):
            window = (slice(top, top + cell), slice(left, left + cell))
            inside = cut_away[window]
            if inside.mean() < _COVERED:
                continue
            upload = shown[window][inside]
            plain_ground = (
                float(upload.std()) < _STRUCTURE * contrast
                and abs(float(np.median(upload)) - ground) <= _GROUND
            )
            if plain_ground and float(ref[window][inside].std()) >= _STRUCTURE * contrast:
                return True
    return False


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
