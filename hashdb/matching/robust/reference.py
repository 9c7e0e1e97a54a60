"""What robust matching stores for a reference when media (not a raw hash) is added."""

from __future__ import annotations

import numpy as np

from hashdb.matching.robust import geometric, variants
from hashdb.store.models import ReferenceFeatures


def reference_data(rgb: np.ndarray) -> tuple[ReferenceFeatures, list[tuple[str, str, bytes]]]:
    """Keypoints/thumbnail, and ``(variant, algorithm, hash)`` rows of crops and rotations."""
    rows = [(name, "pdq", value) for name, value in variants.reference_variants(rgb)]
    return geometric.reference_features(rgb), rows


#: A low-quality picture (no perceptual hash stored) gets robust data only with this many
#: keypoints: enough structure for the geometric check to tell it apart.
MIN_ANCHOR_KEYPOINTS = 80


def reference_keypoints(features: ReferenceFeatures) -> int:
    return len(features.keypoints) // 8
