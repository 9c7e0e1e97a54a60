"""Where the picture lies within an upload: plain borders, letterbox and caption bars
trimmed off its edges, and the picture-like regions of a screenshot or a frame. The robust
stages hash and check what these boxes hold besides the upload as a whole."""

from __future__ import annotations

import cv2
import numpy as np

#: Bars are looked for at this longest side.
TRIM_SIDE = 128
#: Colour tolerance within a caption bar's text rows.
_CAPTION_TOLERANCE = 28.0

#: A box in pixels: left, top, right, bottom (right and bottom exclusive).
Box = tuple[int, int, int, int]


def spread(image: np.ndarray) -> tuple[float, float]:
    """The 2nd and 97th percentile of brightness, from a histogram of a subsample."""
    sample = image[::3, ::3]
    if sample.ndim == 3:
        sample = sample[:, :, 1]  # green carries most of the luminance
    counts = np.cumsum(np.bincount(np.ascontiguousarray(sample).ravel(), minlength=256))
    total = float(counts[-1])
    return float(np.searchsorted(counts, 0.02 * total)), float(
        np.searchsorted(counts, 0.97 * total)
    )


def reduce_by_whole_factor(rgb: np.ndarray, side: int) -> np.ndarray:
    """Reduced by the smallest whole factor that brings the longest side to at most
    ``side`` (a few input pixels at the right and bottom edge dropped): box averaging by a
    whole factor is several times cheaper than resampling to an exact size."""
    height, width = rgb.shape[:2]
    factor = -(-max(height, width) // side)
    if factor < 2:
        return np.ascontiguousarray(rgb)
    cut = rgb[: height - height % factor, : width - width % factor]
    size = (cut.shape[1] // factor, cut.shape[0] // factor)
    return np.ascontiguousarray(cv2.resize(cut, size, interpolation=cv2.INTER_AREA))


def _median_colour(line: np.ndarray) -> np.ndarray:
    """The median of each channel of a line of int16 pixels, rounded down (what
    ``np.median(line, axis=0).astype(np.int16)`` gives, for a fraction of its overhead)."""
    ordered = np.sort(line, axis=0)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return np.asarray(ordered[half])
    return np.asarray((ordered[half - 1] + ordered[half]) // 2)


def _run(
    lines: np.ndarray, tolerance: float, caption: bool, colour: np.ndarray | None = None
) -> int:
    """How many leading lines (rows) of ``lines`` are in the colour of the first one: all of
    each row (a uniform border or letterbox bar), or for a caption bar both margins and an
    eighth of the row (caption text leaves the margins alone; its anti-aliased, re-encoded
    strokes leave little of a text row in the exact bar colour, hence the looser tolerance)."""
    if not lines.shape[0]:
        return 0
    if colour is None:
        colour = _median_colour(lines[0])
    if caption:
        tolerance = max(tolerance, _CAPTION_TOLERANCE)
    # Shares of a row as whole-number inequalities (97 % of the row: 100 * near >= 97 * width),
    # exactly what comparing the mean gives, without the mean's overhead on every chunk.
    width = lines.shape[1]
    margin = max(1, width // 25)
    # Most edges stop being a bar within a few lines: look a chunk at a time.
    chunk = 8
    for start in range(0, lines.shape[0], chunk):
        part = lines[start : start + chunk]
        # Channel by channel: numpy reduces a short inner axis slowly.
        distance = np.abs(part - colour)
        near = np.maximum(np.maximum(distance[..., 0], distance[..., 1]), distance[..., 2])
        near = near <= tolerance
        share = 100 * near.sum(axis=1)
        if caption:
            bar = near[:, :margin].all(axis=1) & near[:, -margin:].all(axis=1)
            bar &= share >= 12 * width
        else:
            bar = share >= 97 * width
        if not bar.all():
            return start + int(bar.argmin())
    return int(lines.shape[0])


def _bar_lines(lines: np.ndarray, tolerance: float, captions: bool = True) -> int:
    """Leading lines to trim: uniform borders, then (with ``captions``) a caption bar, then
    borders again (a bordered picture with a caption). A caption-like run that never ends
    within half the image is the picture's own plain background (a logo), not a bar, and is
    left alone."""
    limit = lines.shape[0] // 2
    position = _run(lines[:limit], tolerance, caption=False)
    if not captions:
        return position
    # A caption bar is in the colour of the border before it (its text rows' own median
    # may be the ink).
    # A caption bar opens with a blank strip above its text; without one, a smooth picture
    # edge would pass for a bar at the caption tolerance.
    if position < 2:
        return position
    colour = _median_colour(lines[position - 1])
    loose = _run(lines[position:limit], tolerance, caption=True, colour=colour)
    if loose and position + loose < limit:
        position += loose
        position += _run(lines[position:limit], tolerance, caption=False)
    return position


def trim_bars(rgb: np.ndarray, tolerance: float = 12.0) -> Box | None:
    """The box (x0, y0, x1, y1) left after trimming bars, borders and captions off each edge,
    or None when nothing worth trimming (under 3% of a side) was found.

    The colour tolerance shrinks with the contrast of the picture's centre, so the dark
    rows of a dark picture are not taken for a black bar."""
    boxes = trim_passes(rgb, tolerance, passes=1)
    return boxes[0] if boxes else None


def trim_passes(rgb: np.ndarray, tolerance: float = 12.0, passes: int = 2) -> list[Box]:
    """The boxes left after each pass of trimming (the first is :func:`trim_bars`'s), as
    long as each trims something worth it and leaves enough.

    A later pass trims what the one before left, plain borders only: a caption bar in
    another colour than a symbol's plain background keeps the side edges from trimming
    (each column holds some of both colours), and only once the caption is gone do they
    meet the background alone. Captions are not looked for again: cut at its own edges, a
    thin stroke (an outlined glyph) passes for a caption's text rows."""
    full_height, full_width = rgb.shape[:2]
    rgb = reduce_by_whole_factor(rgb, TRIM_SIDE)
    height, width = rgb.shape[:2]
    # The reduced copy covers whole blocks of the input: its last row may stand for a
    # few more input pixels than the others; the box scale below is the blocks' own.
    full_height, full_width = height * (full_height // height), width * (full_width // width)
    centre = rgb[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4]
    low, high = spread(centre)
    tolerance = float(np.clip(0.15 * (high - low), 4.0, tolerance))
    wide = rgb.astype(np.int16)
    sx, sy = full_width / width, full_height / height
    x0, y0, x1, y1 = 0, 0, width, height
    found: list[Box] = []
    for number in range(passes):
        part = wide[y0:y1, x0:x1]
        captions = number == 0
        top = _bar_lines(part, tolerance, captions)
        bottom = _bar_lines(part[::-1], tolerance, captions)
        left = _bar_lines(part.transpose(1, 0, 2), tolerance, captions)
        right = _bar_lines(part.transpose(1, 0, 2)[::-1], tolerance, captions)
        x0, y0, x1, y1 = x0 + left, y0 + top, x1 - right, y1 - bottom
        if x1 - x0 < width * 0.3 or y1 - y0 < height * 0.3:
            break
        if max(top, bottom) < 0.03 * height and max(left, right) < 0.03 * width:
            break
        found.append((round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)))
    return found


def one_side_trims(box: Box, width: int, height: int) -> list[tuple[str, Box]]:
    """When ``box`` (a trim of a ``width`` x ``height`` picture) cut both the top and the
    bottom and neither side, the picture with each of those two cuts alone (``side-top``,
    ``side-bottom``): one is often a caption bar, the other the picture's own dark or plain
    edge, or its lines of text, which the caption tolerance took for more bar (a crop of a
    dark scene or a poster under a caption). A frame all round (a poster's, a logo's plain
    background) is trimmed on every side and gets none: most pictures that match nothing
    have one, and each of these costs a hash."""
    x0, y0, x1, y1 = box
    if x0 >= 0.03 * width or width - x1 >= 0.03 * width:
        return []
    if y0 < 0.03 * height or height - y1 < 0.03 * height:
        return []
    return [("side-top", (0, y0, width, height)), ("side-bottom", (0, 0, width, y1))]


def picture_regions(rgb: np.ndarray, limit: int = 3) -> tuple[list[Box], np.ndarray | None]:
    """Boxes of large picture-like regions (an image inside a screenshot or a frame), and
    the background colour they stand on (None when there is no dominant one).

    Pixels that differ from the dominant background colour (by more than 14 levels in any
    channel: a dark scene with a colour cast on a dark page differs from it in hue more
    than in brightness), their blobs closed and opened with a kernel taller than a line of
    text, leave solid blobs: pictures, panels, bars. Large blobs that are not the whole
    image are returned, biggest first. A box is as exact as a pixel of ``rgb``:
    :func:`tighten` trims it on the pixels it is cut from."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    height, width = gray.shape
    # Every other pixel of every other row is plenty to find the dominant colour.
    sample = np.ascontiguousarray(gray[::2, ::2])
    histogram = np.bincount(sample.ravel(), minlength=256)
    background = int(histogram.argmax())
    if histogram[max(0, background - 6) : background + 7].sum() < 0.2 * sample.size:
        return [], None  # no dominant background: not a frame around a picture
    # Its colour: the median of up to a few hundred pixels at that level, every fourth of
    # every fourth row.
    ys, xs = np.nonzero(sample[::2, ::2] == background)
    if not len(ys):
        return [], None
    step = max(1, len(ys) // 256)
    colour = np.median(rgb[4 * ys[::step], 4 * xs[::step]], axis=0).astype(np.uint8)
    _, differs = cv2.threshold(cv2.inRange(rgb, *_near(colour)), 0, 1, cv2.THRESH_BINARY_INV)
    closed = cv2.morphologyEx(differs, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    # The outer outlines of the blobs (a blob within another's hole too; holes have a
    # parent): a tenth of the cost of labelling every pixel
    # (cv2.connectedComponentsWithStats), and the few large boxes are counted below.
    outlines, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[tuple[int, int, int, int, int]] = []
    for outline, (_, _, _, parent) in zip(outlines, hierarchy[0] if outlines else (), strict=True):
        if parent >= 0:
            continue  # a hole's outline
        x, y, w, h = cv2.boundingRect(outline)
        # A portrait picture shown at half size in a wide browser frame is small.
        if w < 0.06 * width or h < 0.08 * height or w * h < 0.012 * width * height:
            continue
        if w > 0.95 * width and h > 0.95 * height:
            continue
        if w > 0.9 * width and h < 0.2 * height:
            continue  # a title or navigation bar
        if _blob_area(mask[y : y + h, x : x + w], outline, (x, y)) < 0.6 * w * h:
            continue  # not a rectangle
        # Pictures first, then plain panels (a sidebar of text): the share of the box not
        # in its own most common grey level, times the box's size.
        inside = np.bincount(gray[y : y + h, x : x + w].ravel(), minlength=256)
        peak = int(inside.argmax())
        plain = float(inside[max(0, peak - 4) : peak + 5].sum()) / (w * h)
        boxes.append((round((1.0 - plain) * w * h), x, y, x + w, y + h))
    boxes.sort(reverse=True)
    return [(x0, y0, x1, y1) for _, x0, y0, x1, y1 in boxes[:limit]], colour


def _blob_area(box: np.ndarray, outline: np.ndarray, corner: tuple[int, int]) -> int:
    """The pixels of ``box`` (a blob's bounding box in the mask) that are the blob's own:
    within its outline and set (its holes left out, other blobs in the box too)."""
    inside = np.zeros_like(box)
    cv2.drawContours(inside, [outline], 0, 1, thickness=cv2.FILLED, offset=(-corner[0], -corner[1]))
    return int(cv2.countNonZero(cv2.bitwise_and(inside, box)))


#: A line at a region's edge is background when this share of it is within
#: ``_BACKGROUND_TOLERANCE`` of the background colour in every channel.
_EDGE_SHARE = 0.95
_BACKGROUND_TOLERANCE = 14


def _near(colour: np.ndarray) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The bounds of ``cv2.inRange`` for the pixels in the background ``colour``."""
    low = tuple(max(0, int(v) - _BACKGROUND_TOLERANCE) for v in colour[:3])
    high = tuple(min(255, int(v) + _BACKGROUND_TOLERANCE) for v in colour[:3])
    return (low[0], low[1], low[2]), (high[0], high[1], high[2])


def tighten(crop: np.ndarray, colour: np.ndarray) -> Box:
    """The box within ``crop`` (a region cut a little wider than found) left once the lines
    in the background ``colour`` are trimmed off each edge. A region's box is found on a
    reduced copy, a pixel of which is several of the upload's: a strip of the page left on
    a flat picture's edge (a flag's stripes) moves its hash by tens of bits. Only the
    outer sixteenth of each side (8 lines at least) is looked at: the box is off by a
    pixel or two of the reduced copy."""
    height, width = crop.shape[:2]
    deep = min(height // 2, max(8, height // 16))
    wide = min(width // 2, max(8, width // 16))
    bounds = _near(colour)

    def leading(counts: np.ndarray, length: int) -> int:
        """How many leading lines are background, of lines with ``counts`` such pixels."""
        plain = counts >= _EDGE_SHARE * length
        return len(plain) if plain.all() else int(plain.argmin())

    def inside(strip: np.ndarray) -> np.ndarray:
        return cv2.inRange(np.ascontiguousarray(strip), *bounds)

    top = leading(np.count_nonzero(inside(crop[:deep]), axis=1), width)
    bottom = leading(np.count_nonzero(inside(crop[height - deep :]), axis=1)[::-1], width)
    left = leading(np.count_nonzero(inside(crop[:, :wide]), axis=0), height)
    right = leading(np.count_nonzero(inside(crop[:, width - wide :]), axis=0)[::-1], height)
    top = _past_bleed(crop, top, 1, colour)
    bottom = height - 1 - _past_bleed(crop, height - 1 - bottom, -1, colour)
    columns = crop.transpose(1, 0, 2)
    left = _past_bleed(columns, left, 1, colour)
    right = width - 1 - _past_bleed(columns, width - 1 - right, -1, colour)
    return left, top, width - right, height - bottom


def _past_bleed(lines: np.ndarray, edge: int, step: int, colour: np.ndarray) -> int:
    """``edge`` (the first line of ``lines`` that is not the page's), moved inwards by
    ``step`` past up to two lines nearer the page's ``colour`` than the picture two lines
    further in: JPEG smears a flat picture's colour into the page's edge over a line or
    two (the page's black next to a teal stripe re-encoded as a dark green)."""
    page = colour.astype(np.float64)
    for _ in range(2):
        inner = edge + 2 * step
        if not 0 <= inner < len(lines):
            break
        line = _mean_colour(lines[edge])
        if np.abs(line - page).max() >= np.abs(line - _mean_colour(lines[inner])).max():
            break
        edge += step
    return edge


def _mean_colour(line: np.ndarray) -> np.ndarray:
    """The mean colour of a line of RGB pixels (OpenCV's mean, a fraction of numpy's)."""
    return np.array(cv2.mean(np.ascontiguousarray(line)[np.newaxis])[:3])
