"""Frame pixels ready for hashing: uniform borders cropped, the central band, the hash size.

Plain numpy on RGB frames, shared by video decoding and by matching a still image against
video frames (a screenshot is cropped the same way as the frames it should meet).
"""

from __future__ import annotations

import numpy as np

#: The outermost row/column must be this uniform to start a bar, ...
_BORDER_EDGE_SHARE = 0.98
#: ... and a row/column inside it is bar when at least this share of its pixels ...
_BORDER_SHARE = 0.8
#: ... is within this many gray levels of the outermost row/column's median.
_BORDER_LEVEL = 16
#: Lines (as a share of the side) of non-bar a bar may be interrupted by, e.g. a caption.
_BORDER_GAP = 0.1
#: Never crop more than this share of a side from each edge (a 16:9 frame in a 9:16 canvas has
#: about 34% bars on each of top and bottom).
_BORDER_MAX = 0.42

#: Share of the height cut from the top and from the bottom for the band hash.
BAND_CUT = 0.2


def crop_borders(rgb: np.ndarray) -> np.ndarray:
    """Cut uniform bars (black, white or any flat colour) off each edge of an RGB frame."""
    height, width = rgb.shape[:2]
    # Measured on the green channel (most of luma) at every second pixel: a quarter of the
    # work of a full gray conversion, and bars are tens of pixels wide.
    step = 2 if min(height, width) >= 64 else 1
    gray = (rgb[::step, ::step, 1] if rgb.ndim == 3 else rgb[::step, ::step]).astype(np.int16)

    def run(lines: np.ndarray, limit: int) -> int:
        """Leading lines (rows of ``lines``) that are bar: nearly all pixels at the level of
        the outermost line. "Nearly all" lets captions or a logo drawn on a bar stay bar."""
        level = int(np.median(lines[0]))
        # The outermost line must be truly uniform: smooth sky or a wall is not a bar.
        if np.mean(np.abs(lines[0] - level) < _BORDER_LEVEL // 2) < _BORDER_EDGE_SHARE:
            return 0
        bar = np.mean(np.abs(lines[: limit + 1] - level) < _BORDER_LEVEL, axis=1) >= _BORDER_SHARE
        # The bar goes on across a short interruption (a caption line written on it) when bar
        # lines follow it again.
        gap_max = max(2, int(len(lines) * _BORDER_GAP))
        end = gap = 0
        for position, is_bar in enumerate(bar.tolist()):
            if is_bar:
                end, gap = position + 1, 0
            else:
                gap += 1
                if gap > gap_max:
                    break
        return min(end, limit)

    max_rows, max_cols = int(gray.shape[0] * _BORDER_MAX), int(gray.shape[1] * _BORDER_MAX)
    top = run(gray, max_rows) * step
    bottom = run(gray[::-1], max_rows) * step
    left = run(gray.T, max_cols) * step
    right = run(gray.T[::-1], max_cols) * step
    # A bar a few pixels thick is usually encoder padding or a thin frame: still worth cutting,
    # but only whole-frame-wide bars of at least 2 px, so noise at an edge is left alone.
    top, bottom, left, right = (v if v >= 2 else 0 for v in (top, bottom, left, right))
    # Letterbox and pillarbox bars are centred; a flat strip on one side only is part of the
    # picture (or a caption bar), and cutting it would change the aspect PDQ sees.
    top, bottom = _centred(top, bottom, height)
    left, right = _centred(left, right, width)
    if not (top or bottom or left or right):
        return rgb
    cropped = rgb[top : height - bottom, left : width - right]
    if cropped.shape[0] < 16 or cropped.shape[1] < 16:
        return rgb  # a flat frame: nothing to crop to
    return cropped


def _centred(first: int, second: int, extent: int) -> tuple[int, int]:
    if abs(first - second) <= max(2, extent // 50):
        return first, second
    both = min(first, second)
    return both, both


def central_band(rgb: np.ndarray) -> np.ndarray:
    """The frame without its top and bottom ``BAND_CUT`` share, where captions, tickers and
    channel watermarks go: PDQ of this band survives overlays that move the full-frame hash
    40-70 bits."""
    height = rgb.shape[0]
    cut = int(height * BAND_CUT)
    return rgb[cut : height - cut] if height - 2 * cut >= 16 else rgb


def scaled_size(width: int, height: int, frame_size: int) -> tuple[int, int]:
    longest = max(width, height)
    if frame_size <= 0 or longest <= frame_size:
        return width, height
    scale = frame_size / longest
    return max(16, round(width * scale)), max(16, round(height * scale))
