"""Deterministic data for the robustness benchmark and its tests.

Everything is drawn from seeds, so two runs (and the tests) see identical pixels:

* known images of five kinds (photo-like scenes, posters with text, logos/clipart on flat
  backgrounds, screenshots, dark scenes), each drawn from ``(kind, seed)``;
* unrelated distractors of the same kinds from a disjoint seed range, plus *hard negatives*:
  a different picture in the same poster template or the same screenshot layout as a known;
* the edits re-uploads come back with (``FAMILIES``), each at several strengths.
"""

from hashdb.testing.robustness.edits import (
    FAMILIES,
    FAMILY_NAMES,
    Family,
    caption,
    embed_screenshot,
    encode,
    family,
    logo_corner,
    text_overlay,
    transformed,
)
from hashdb.testing.robustness.pictures import (
    KINDS,
    Known,
    distractor,
    draw_kind,
    font,
    knowns,
    logo,
    photo,
    poster,
    screenshot,
)

__all__ = [
    "FAMILIES",
    "FAMILY_NAMES",
    "KINDS",
    "Family",
    "Known",
    "caption",
    "distractor",
    "draw_kind",
    "embed_screenshot",
    "encode",
    "family",
    "font",
    "knowns",
    "logo",
    "logo_corner",
    "photo",
    "poster",
    "screenshot",
    "text_overlay",
    "transformed",
]
