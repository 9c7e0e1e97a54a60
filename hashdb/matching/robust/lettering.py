"""Words laid over a picture in white with a black outline (the meme style), found by colour.

To a grey comparison such words are an element the reference lacks, as an accent added to
a letter or other words on a poster are. What sets them apart is their colours: pure white
strokes edged in pure black where the reference shows other colours (one of the two may
match it: a black outline on a dark picture), in one band across the picture. Those pixels
(with a thin margin for their anti-aliased edges) are left out of the comparison; the rest,
between and round the letters too, must still agree everywhere, so an element the words
hide only in part still differs. What they hide entirely cannot be compared.

Over a reference that holds pure white and pure black of its own (a black-on-white glyph
or poster: its own strokes look like such lettering), only a line of words is taken for
lettering, never one mark (a bar a glyph lacks, its added dots); and never when a grayscale
upload washed the colours out (every pixel is then neutral). :func:`has_words` says
whether a reference shows lines of words of its own, where words laid over may hide the
little that tells two such pictures apart.
"""

from __future__ import annotations

import cv2
import numpy as np

from hashdb.matching.robust import channels, recolour

#: The lettering's fill and outline: every channel at least / at most this.
_WHITE = 225
_BLACK = 40
#: ... and that far (largest channel difference) from the reference's colour there.
_FAR = 60
#: A reference with more than this share of pure white and of pure black pixels has
#: strokes of its own that look like lettering: only a line of words is left out.
_OWN_SHARE = 0.01
#: White strokes in a white area larger than this share of the covered pixels are the
#: open ground round black letters, not white letters.
_GROUND_SHARE = 0.05
#: Lettering is words: at least this many marks (a bar or an accent a picture lacks, or
#: its dots, are one or two).
_MIN_MARKS = 3
#: Colourful pixels (channel spread above ``_SPREAD``): a reference with more than
#: ``_COLOURFUL`` of them and an upload with fewer than ``_GRAY`` is a grayscale copy.
_SPREAD = 24
_COLOURFUL = 0.1
_GRAY = 0.02
#: Lettering pixels: at least this many, at most this share of the covered ones, each of
#: the two colours at least ``_EACH`` of them, in a band at most ``_BAND`` of the height.
_MIN_PIXELS = 30
_MAX_SHARE = 0.2
_EACH = 0.2
_BAND = 0.3
#: Over a reference with pure white and pure black of its own, lettering must be a line
#: of words: at least this many letters (marks of at least ``_LETTER_PIXELS``), in a line
#: at least ``_LINE_WIDTH`` times as wide as its band is high.
_MIN_LETTERS = 6
_LETTER_PIXELS = 6
_LINE_WIDTH = 4
#: A reference's own words: letters at most this share of its height, at least
#: ``_LINE_MARKS`` marks of about one height to a line, two lines or more.
_WORD_HEIGHT = 0.1
_LINE_MARKS = 3
#: The largest side a query picture is searched for outlined strokes at (:func:`outlined`):
#: past it, a 1-pixel outline is thinner than the words' own scale needs.
_FINE_SIDE = 1024
#: Side of the square (thumbnail pixels) left out round each lettering pixel: anti-aliased,
#: re-encoded strokes are a little wider than their pure pixels. Kept thin: a wider one
#: hid a face's other eyes seen between the letters.
_MARGIN = 5


def lettering(
    reference: np.ndarray,
    aligned: np.ndarray,
    inside: np.ndarray,
    outlined: np.ndarray | None = None,
) -> np.ndarray | None:
    """The pixels to leave out of the comparison of ``aligned`` (the upload's colours in
    the reference's frame) with ``reference`` (the reference's colour thumbnail, RGB), both
    over ``inside``: white-on-black lettering the upload adds, with a margin; None when the
    upload shows none (or the test cannot apply).

    ``outlined`` (:func:`outlined`, in the same frame) adds the strokes found at the
    upload's own resolution: small words' thin outline, and much of their fill, are grey
    by the thumbnail's size. At full resolution any line drawing shows white next to black
    (an icon's outlined bar), so with them only a line of words counts, as over a
    reference with pure white and pure black of its own."""
    ref_low = channels.lowest(reference)[inside].astype(np.int16)
    ref_high = channels.highest(reference)[inside].astype(np.int16)
    own = (ref_low >= _WHITE).mean() > _OWN_SHARE and (ref_high <= _BLACK).mean() > _OWN_SHARE
    got_low, got_high = channels.lowest(aligned), channels.highest(aligned)
    got_spread = (got_high.astype(np.int16) - got_low)[inside]
    if (ref_high - ref_low > _SPREAD).mean() > _COLOURFUL and (got_spread > _SPREAD).mean() < _GRAY:
        return None
    far = channels.farthest(aligned, reference) > _FAR
    white = (got_low >= _WHITE) & inside
    black = (got_high <= _BLACK) & inside
    if outlined is not None:
        white |= (outlined[..., 0] > 0) & inside
        black |= (outlined[..., 1] > 0) & inside
    near = np.ones((5, 5), np.uint8)
    # Pixels unlike the reference, of one colour next to the other (the other may match the
    # reference: a black outline over a dark picture).
    white_edged = white & far & (cv2.dilate(black.astype(np.uint8), near) > 0)
    black_edged = black & far & (cv2.dilate(white.astype(np.uint8), near) > 0)
    strokes = white_edged | black_edged
    count = int(strokes.sum())
    if count < _MIN_PIXELS or count > _MAX_SHARE * int(inside.sum()):
        return None
    fill = white & (cv2.dilate(black_edged.astype(np.uint8), near) > 0)
    outline = black & (cv2.dilate(white_edged.astype(np.uint8), near) > 0)
    if min(int((white_edged | fill).sum()), int((black_edged | outline).sum())) < _EACH * count:
        return None
    rows = np.nonzero(strokes)[0]
    low, high = np.percentile(rows, (2, 98))
    if high - low > _BAND * reference.shape[0]:
        return None
    band = (int(low), int(high))
    # The band holds most rows of the strokes, not all: a letter may reach a little past it.
    widened = _widened(band)
    marks = _letters(strokes, *widened)
    if marks < _MIN_MARKS:
        return None
    if own and not _words_in_a_line(strokes, reference, band, marks):
        return None
    # The letters are the white marks when those are enclosed (white words outlined in
    # black); when the white is the open ground round black marks, the black ones.
    light = not _open_ground(white, white_edged, int(inside.sum()))
    letters = (white_edged | fill) if light else (black_edged | outline)
    if outlined is not None and _lines(letters.astype(np.uint8), letters.shape, widened) < 1:
        return None  # strokes at full resolution: only a line of letters alike
    if _own_words_in(reference, widened, _letter_height(letters), light):
        return None  # a poster of one layout with other words there
    margin = np.ones((_MARGIN, _MARGIN), np.uint8)
    left_out: np.ndarray = cv2.dilate(strokes.astype(np.uint8), margin) > 0
    return left_out


def outlined(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Where ``rgb`` (a query picture at its own resolution) shows pure white next to pure
    black, at ``size`` (width, height): two masks (white pixels edged in black, black ones
    edged in white) as the last axis, a pixel set where any pixel of the picture it covers
    is. Words laid over a picture are drawn at its resolution; reduced to a thumbnail, a
    1-pixel outline and a 2-pixel stroke blend into what lies round them and are neither
    white nor black any more."""
    rgb = recolour.at_most(rgb, _FINE_SIDE)
    height, width = rgb.shape[:2]
    white = channels.lowest(rgb) >= _WHITE
    black = channels.highest(rgb) <= _BLACK
    near = np.ones((3, 3), np.uint8)
    white_edged = white & (cv2.dilate(black.astype(np.uint8), near) > 0)
    black_edged = black & (cv2.dilate(white.astype(np.uint8), near) > 0)
    masks: np.ndarray = np.dstack([white_edged, black_edged]).astype(np.uint8)
    # Any pixel of the ones a reduced pixel covers: the largest within the reduction's step.
    step = max(1, int(np.ceil(max(width / size[0], height / size[1]))))
    if step > 1:
        masks = cv2.dilate(masks, np.ones((step, step), np.uint8))
    found: np.ndarray = cv2.resize(masks, size, interpolation=cv2.INTER_NEAREST)
    return found


def _widened(band: tuple[int, int]) -> tuple[int, int]:
    """The rows of ``band`` with half its height round it."""
    low, high = band
    pad = max(high - low, 1) // 2
    return low - pad, high + pad


def _words_in_a_line(
    strokes: np.ndarray, reference: np.ndarray, band: tuple[int, int], marks: int
) -> bool:
    """Whether ``strokes`` (the lettering pixels, rows ``band``, ``marks`` of them whole
    within the band widened) look like words laid across a reference that has pure white
    and pure black of its own: many letters side by side in a line much wider than tall,
    where the reference has no letters of its own (a poster in one template with other
    words has them there). A bar a glyph lacks, or the dots or accent it adds, are one to
    three marks, not a line of letters."""
    low, high = band
    height = max(high - low, 1)
    columns = np.nonzero(strokes.any(axis=0))[0]
    if columns[-1] - columns[0] < _LINE_WIDTH * height or marks < _MIN_LETTERS:
        return False
    rows = _widened(band)
    # The reference's own marks there: dark on light or light on dark, each whole within
    # the band (a glyph's stroke crossing it is not a letter).
    grey = channels.lowest(reference) if reference.ndim == 3 else reference
    own = (grey <= _BLACK) if (grey >= _WHITE).mean() > 0.5 else (grey >= _WHITE)
    return _letters(own, *rows) < _MIN_LETTERS


def _letters(mask: np.ndarray, low: int, high: int) -> int:
    """How many marks of ``mask`` (joined by a pixel's gap) lie wholly within rows
    ``low`` to ``high``, each at least a few pixels."""
    joined = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    tops = stats[1:, cv2.CC_STAT_TOP]
    bottoms = tops + stats[1:, cv2.CC_STAT_HEIGHT] - 1
    sizes = stats[1:, cv2.CC_STAT_AREA]
    inside = (tops >= low) & (bottoms <= high) & (sizes >= _LETTER_PIXELS)
    return int(inside.sum())


def has_words(thumb: np.ndarray) -> bool:
    """Whether a reference (its grey thumbnail) shows lines of small letters of its own: a
    poster, a page, a screenshot. Two such pictures in one layout with other words differ
    in cells the comparison can barely tell apart (blurred small letters correlate), so
    words laid over one may hide the few cells that do differ."""
    return _lines_of_letters(thumb.astype(np.uint8)) >= 2


def _letter_height(fill: np.ndarray) -> float:
    """The median height of the lettering's white marks (its letters)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(fill.astype(np.uint8), connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT][stats[1:, cv2.CC_STAT_AREA] >= _LETTER_PIXELS]
    return float(np.median(heights)) if len(heights) else 0.0


def _open_ground(white: np.ndarray, white_edged: np.ndarray, covered: int) -> bool:
    """Whether the white strokes belong to an open white ground (a page round black
    letters) rather than to white letters each enclosed by its outline."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(white.astype(np.uint8), connectivity=4)
    touched = np.unique(labels[white_edged])
    touched = touched[touched > 0]
    if len(touched) == 0:
        return False
    return int(stats[touched, cv2.CC_STAT_AREA].max()) > _GROUND_SHARE * covered


def _own_words_in(reference: np.ndarray, rows: tuple[int, int], height: float, light: bool) -> bool:
    """Whether the reference (its colour thumbnail) shows a line of words of its own
    centred in ``rows`` (the lettering's band widened), of the lettering's polarity
    (``light``: lighter than what surrounds them) and about its letters' ``height``: the
    lettering found there is then the other words of a poster in the reference's layout,
    not words laid over it, whatever the colour of the reference's own letters (cream on
    dark, which no white threshold finds). Words of the other polarity there (dark print
    under white words laid over it) do not count."""
    grey = cv2.cvtColor(reference.astype(np.uint8), cv2.COLOR_RGB2GRAY)
    polarity = cv2.THRESH_BINARY if light else cv2.THRESH_BINARY_INV
    marks = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, polarity, 15, 12)
    return _lines(marks, grey.shape, rows, height) >= 1


def _lines_of_letters(grey: np.ndarray) -> int:
    """How many lines of words the picture shows. Letters are darker (or lighter) than
    what surrounds them, whatever else the picture holds: marks that stand out of their
    neighbourhood, one polarity at a time (the polarity with more lines counts)."""
    return max(
        _lines(
            cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, polarity, 15, 12),
            grey.shape,
        )
        for polarity in (cv2.THRESH_BINARY_INV, cv2.THRESH_BINARY)
    )


def _lines(
    binary: np.ndarray,
    shape: tuple[int, ...],
    within: tuple[int, int] | None = None,
    height: float = 0.0,
) -> int:
    """The lines of words among the marks of ``binary``: in each, at least
    ``_LINE_MARKS`` marks of about one height side by side (letters, or words whose
    letters joined at this scale), about ``_MIN_LETTERS`` letters or more in all. A
    texture's or a face's marks are of all heights and seldom in a row."""
    _, _, stats, centres = cv2.connectedComponentsWithStats(binary, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    small = (
        (heights >= 4)
        & (heights <= _WORD_HEIGHT * shape[0])
        & (widths <= 0.6 * shape[1])
        & (stats[1:, cv2.CC_STAT_AREA] >= _LETTER_PIXELS)
    )
    if within is not None:  # only marks centred in these rows
        small &= (centres[1:, 1] >= within[0]) & (centres[1:, 1] <= within[1])
    if height > 0:  # only marks of about this height
        small &= (heights >= height / 1.5) & (heights <= height * 1.5)
    rows, tall, wide = centres[1:, 1][small], heights[small], widths[small]
    order = np.argsort(rows)
    rows, tall, wide = rows[order], tall[order], wide[order]
    lines, start = 0, 0
    while start < len(rows):
        # One line: the marks whose centres lie within half the first one's height.
        end = start + int(
            np.searchsorted(rows[start:], rows[start] + max(2.0, tall[start] / 2), "right")
        )
        height = float(np.median(tall[start:end]))
        alike = (tall[start:end] >= height / 1.5) & (tall[start:end] <= height * 1.5)
        letters = float(np.maximum(1, np.round(wide[start:end][alike] / (0.7 * height))).sum())
        if int(alike.sum()) >= _LINE_MARKS and letters >= _MIN_LETTERS:
            lines += 1
        start = end
    return lines
