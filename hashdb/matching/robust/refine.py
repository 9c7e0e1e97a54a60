"""Refining a keypoint alignment on the pictures' own pixels, for the content check.

Keypoints fix a transform up to the scatter of their positions, and on some pictures that
scatter is large: on a glyph's outline the inner and outer strokes look alike, so RANSAC
keeps pairs a stroke apart and the fitted transform, a small turn say, ends up a degree or
two off. The upload then lands a few pixels from the reference everywhere and the content
check, cell by cell, rightly sees strokes that do not meet. Maximising the correlation of
the two pictures' brightness from that start (OpenCV's ECC, an affine motion) closes the
gap. It only moves a transform the keypoints already found; the content check that follows
is the same as for any alignment, so a picture that differs still differs (better aligned,
its other mouth or missing bar shows all the more).
"""

from __future__ import annotations

import cv2
import numpy as np

#: The refinement runs on the reference thumbnail and the upload reduced to about its
#: scale: the content check compares at that scale, and ECC's cost grows with the pixels.
_ITERATIONS = 40
_EPSILON = 1e-4


def refine(
    model: np.ndarray, ref_size: tuple[int, int], thumb: np.ndarray, query_gray: np.ndarray
) -> np.ndarray | None:
    """``model`` (2x3, reference frame -> query frame) refined by ECC between the reference
    ``thumb`` and ``query_gray``, or None when ECC does not converge."""
    scale = thumb.shape[1] / ref_size[0]
    # Reduce the upload to the thumbnail's scale (the model's larger singular value says
    # how much bigger the upload shows the reference).
    stretch = float(np.linalg.svd(model[:, :2], compute_uv=False)[0]) / scale
    shrink = min(1.0, 1.2 / stretch) if stretch > 0 else 1.0
    query = query_gray
    if shrink < 0.9:
        size = (max(8, round(query.shape[1] * shrink)), max(8, round(query.shape[0] * shrink)))
        query = cv2.resize(query_gray, size, interpolation=cv2.INTER_AREA)
        shrink_x, shrink_y = size[0] / query_gray.shape[1], size[1] / query_gray.shape[0]
    else:
        shrink_x = shrink_y = 1.0
    # thumbnail point -> reduced upload point
    warp = model.astype(np.float64).copy()
    warp[:, :2] /= scale
    warp[0] *= shrink_x
    warp[1] *= shrink_y
    try:
        _, found = cv2.findTransformECC(
            thumb.astype(np.float32),
            query.astype(np.float32),
            warp.astype(np.float32),
            cv2.MOTION_AFFINE,
            (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, _ITERATIONS, _EPSILON),
            np.full(query.shape, 255, np.uint8),  # every pixel (the stubs take no None)
            5,
        )
    except cv2.error:
        return None  # no convergence (a flat picture, a correlation that vanished)
    refined = np.asarray(found, dtype=np.float64).copy()
    refined[0] /= shrink_x
    refined[1] /= shrink_y
    refined[:, :2] *= scale
    return refined
