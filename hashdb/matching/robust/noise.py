"""How much noise an upload carries beside the reference, and how much the content check
blurs both pictures for it (:mod:`.content`).

Noise added to a picture, a dark one above all once stretched to the reference's levels,
is structure in every flat cell: a copy with noise of deviation 20 differed from its
reference in dozens of cells. Blurring both pictures alike as much as the upload's noise
asks leaves the shapes to compare; a reference with grain of its own is compared as it is.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: An upload whose noise exceeds this share of its contrast, and ``_NOISIER`` times the
#: reference's share, is compared blurred more (the reference alike), so that about
#: ``_NOISE_LEFT`` of the contrast is left, up to ``_MOST_BLUR``: noise added to a dark
#: scene and stretched to the reference's levels is structure in every flat cell.
_NOISY = 0.04
_NOISIER = 3.0
_NOISE_LEFT = 0.015
_MOST_BLUR = 4.0


def blur_for(reference: np.ndarray, aligned: np.ndarray, inside: np.ndarray, least: float) -> float:
    """The blur (Gaussian standard deviation) to compare ``aligned`` with ``reference`` at:
    ``least``, or more for an upload much noisier than the reference. A Gaussian of
    deviation s leaves about 0.28 / s of white noise."""
    got = noise_share(aligned, inside)
    if got <= _NOISY or got <= _NOISIER * noise_share(reference, inside):
        return least
    return float(min(max(least, 0.28 * got / _NOISE_LEFT), _MOST_BLUR))


def noise_share(picture: np.ndarray, inside: np.ndarray) -> float:
    """Noise as a share of contrast: the robust deviation of the Laplacian (the median
    absolute value: edges are few), sampled every third pixel well inside ``inside``."""
    grey = picture.astype(np.float32)
    kept = _kept(inside)
    if kept is None:
        return 0.0
    laplacian = cv2.Laplacian(grey, cv2.CV_32F, ksize=1)[1::3, 1::3][kept]
    # White noise of deviation n gives the Laplacian a deviation of sqrt(20) n.
    deviation = 1.4826 * _quantile(np.abs(laplacian), 0.5) / math.sqrt(20.0)
    return deviation / _contrast(grey, kept)


def _kept(inside: np.ndarray) -> np.ndarray | None:
    """Every third pixel (of rows and columns) well inside ``inside``, or None if too few."""
    kept: np.ndarray = cv2.erode(inside.astype(np.uint8), np.ones((5, 5), np.uint8))[1::3, 1::3] > 0
    return kept if int(kept.sum()) >= 64 else None


def _contrast(picture: np.ndarray, kept: np.ndarray) -> float:
    """The 2nd-98th percentile spread of ``picture`` over ``kept`` (at least 24 levels)."""
    values = picture[1::3, 1::3][kept]
    return max(_quantile(values, 0.98) - _quantile(values, 0.02), 24.0)


def _quantile(values: np.ndarray, share: float) -> float:
    """The value ``share`` of the way up ``values`` (the nearest rank below): a partition,
    twice as fast as a percentile for the few thousand values measured here."""
    rank = int(share * (len(values) - 1))
    return float(np.partition(values, rank)[rank])


#: An upload is blurrier than the reference when its sharpness is under this share of the
#: reference's (a contrast edit that clips moves it by a few per cent, a blur of the
#: upload's own by 35-45 %); the extra blurs then tried on the reference (Gaussian
#: deviations), least first.
_BLURRIER = 0.75
_REFERENCE_BLURS = (1.0, 1.5, 2.0, 3.0)


def reference_blur(
    reference: np.ndarray, aligned: np.ndarray, inside: np.ndarray, blur: float
) -> float:
    """How much more to blur ``reference`` (0: not at all) so that it is no sharper than
    ``aligned``, both first blurred by ``blur``: a blurred copy of a glyph keeps its shape,
    but its thin strokes' cells lose the structure the sharp reference's have."""
    kept = _kept(inside)
    if kept is None:
        return 0.0
    ref = cv2.GaussianBlur(reference.astype(np.float32), (0, 0), blur)
    got = cv2.GaussianBlur(aligned.astype(np.float32), (0, 0), blur)
    ref_contrast = _contrast(ref, kept)
    target = _sharpness(got, kept) / _contrast(got, kept)
    if target >= _BLURRIER * _sharpness(ref, kept) / ref_contrast:
        return 0.0
    for extra in _REFERENCE_BLURS:
        if _sharpness(cv2.GaussianBlur(ref, (0, 0), extra), kept) / ref_contrast <= target:
            return extra
    return _REFERENCE_BLURS[-1]


def _sharpness(picture: np.ndarray, kept: np.ndarray) -> float:
    """The mean absolute Laplacian over ``kept`` (every third pixel)."""
    laplacian = cv2.Laplacian(picture, cv2.CV_32F, ksize=1)[1::3, 1::3]
    return float(np.abs(laplacian[kept]).mean())
