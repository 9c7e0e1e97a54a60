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
    absolute value: edges are few), over every other pixel well inside ``inside``."""
    grey = picture.astype(np.float32)
    laplacian = cv2.Laplacian(grey, cv2.CV_32F, ksize=1)[1::2, 1::2]
    kept = cv2.erode(inside.astype(np.uint8), np.ones((5, 5), np.uint8))[1::2, 1::2] > 0
    if int(kept.sum()) < 64:
        return 0.0
    values = grey[1::2, 1::2][kept]
    low, high = np.percentile(values, (2, 98))
    # White noise of deviation n gives the Laplacian a deviation of sqrt(20) n.
    deviation = 1.4826 * float(np.median(np.abs(laplacian[kept]))) / math.sqrt(20.0)
    return deviation / max(float(high - low), 24.0)
