"""Mirrored copies of a picture that is its own mirror image but for a detail.

An A is symmetric; its accent is not. Mirror an À and it is an Á, pixel for pixel: a
mirrored upload of one is the other, and no comparison can tell an edited copy of the
known Á from the lawful À beside it. So a match reached only through the upload's mirror
image is refused when the reference, mirrored, would agree with itself everywhere but in
a few cells: what the upload shows is then as much the reference's sibling as its edited
copy. A reference that is wholly symmetric (its mirror image is itself) or plainly
asymmetric (a photo, a line of words) is not affected.

Turns are not judged here: a fit may find a picture nearly symmetric under a quarter turn
(a #) turned when it is not, and the check cannot tell which alignment the upload needed.
"""

from __future__ import annotations

import numpy as np

from hashdb.matching.robust import content

#: At most this share of cells may differ between the reference and its own mirror image
#: for that image to count as "the same picture but for a detail".
NEAR_SHARE = 0.07


def ambiguous(thumb: np.ndarray) -> bool:
    """Whether an upload matched to ``thumb`` (the reference's grey thumbnail) only once
    mirrored could as well be another picture: the reference's mirror image agrees with
    it in all but a few cells (not in none)."""
    mirrored = np.ascontiguousarray(thumb[:, ::-1]).astype(np.float32)
    found = content.strict_comparison(thumb, mirrored)
    return 0 < found.differing <= NEAR_SHARE * found.cells
