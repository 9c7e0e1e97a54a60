"""The aligned-content check excuses what an edit lays over a picture's corner or rim, and
nothing that differs inside it."""

from __future__ import annotations

import numpy as np
from PIL import Image

from hashdb.matching.robust import content, geometric
from hashdb.media import decode_image
from hashdb.testing import robustness as data
from hashdb.testing import symbols

_SPLIT = symbols.TEST


def _gray(image: Image.Image) -> np.ndarray:
    return geometric.to_gray(decode_image(data.encode(image, 92)).rgb_array, 256)


def _with_logo(picture: Image.Image, x: float, y: float) -> Image.Image:
    out = picture.copy()
    side = picture.width // 6
    mark = data.logo(5).resize((side, side))
    out.paste(mark, (int(x * picture.width), int(y * picture.height)))
    return out


def test_a_logo_in_a_corner_is_excused_on_a_glyph_and_in_the_middle_it_is_not() -> None:
    glyph = symbols.SymbolSet("glyph", 3, _SPLIT, outline=True).draw("E").convert("RGB")
    reference = _gray(glyph)
    covered = np.ones(reference.shape, bool)

    def compared(x: float, y: float) -> content.Comparison:
        return content.compare(reference, _gray(_with_logo(glyph, x, y)).astype(float), covered)

    cornered = compared(0.8, 0.8)
    assert cornered.agrees, cornered
    centred = compared(0.42, 0.42)
    assert not centred.agrees, centred


def test_a_frame_edge_on_the_rim_is_excused_but_a_differing_bar_is_not() -> None:
    chosen = symbols.SymbolSet("glyph", 3, _SPLIT, outline=True)
    reference = _gray(chosen.draw("E"))
    covered = np.ones(reference.shape, bool)
    framed = reference.astype(np.float32).copy()
    framed[:6, :] = 0.0  # a strip of a screenshot's dark frame along the top
    framed[6:9, :] = 255.0
    assert content.compare(reference, framed, covered).agrees
    other = _gray(chosen.draw("F")).astype(np.float32)
    other[:6, :] = 0.0
    assert not content.compare(reference, other, covered).agrees


def test_a_second_alignment_gets_no_corner_excuse() -> None:
    glyph = symbols.SymbolSet("glyph", 3, _SPLIT, outline=True).draw("E").convert("RGB")
    reference = _gray(glyph)
    covered = np.ones(reference.shape, bool)
    cornered = _gray(_with_logo(glyph, 0.8, 0.8)).astype(float)
    second = content.ContentPolicy().for_second_alignment()
    assert content.compare(reference, cornered, covered).agrees
    assert not content.compare(reference, cornered, covered, second).agrees
    # Nothing else is taken away: the same picture unedited still agrees.
    assert content.compare(reference, reference.astype(float), covered, second).agrees
