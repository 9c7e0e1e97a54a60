"""Query variants and alignments that reach a symbol through a caption or a small turn."""

from __future__ import annotations

import numpy as np
from PIL import Image

from hashdb.matching.robust import framing, geometric, refine
from hashdb.media import decode_image
from hashdb.testing import robustness as data
from hashdb.testing import symbols

_SPLIT = symbols.TEST


def _rgb(image: Image.Image) -> np.ndarray:
    return decode_image(data.encode(image, 90)).rgb_array


def _glyph() -> Image.Image:
    drawn = symbols.SymbolSet("glyph", 3, _SPLIT, outline=True).draw("E").convert("RGB")
    # On a grey ground, so a white caption bar is another colour than the background.
    pixels = np.asarray(drawn).copy()
    pixels[(pixels > 240).all(axis=2)] = (220, 221, 216)
    return Image.fromarray(pixels)


def test_a_caption_over_a_symbol_is_trimmed_to_the_symbol_on_a_second_pass() -> None:
    glyph = _glyph()
    captioned = data.caption(glyph, np.random.default_rng(4), 0.15, "top")
    bar = captioned.height - glyph.height
    alone = framing.trim_bars(_rgb(glyph))
    passes = framing.trim_passes(_rgb(captioned))
    assert alone is not None and len(passes) == 2, passes
    first, tight = passes
    # The caption keeps the sides (the reduced copy's whole blocks may drop a pixel).
    assert first[0] == 0 and first[2] >= captioned.width - 4, first
    # The second pass leaves the symbol's box, where its own trim leaves it.
    shifted = (alone[0], alone[1] + bar, alone[2], alone[3] + bar)
    assert all(abs(a - b) <= 0.03 * captioned.width for a, b in zip(tight, shifted, strict=True))


def test_refinement_brings_a_turned_symbol_back_onto_the_reference() -> None:
    glyph = _glyph()
    reference = geometric.reference_features(_rgb(glyph))
    ref, thumb = geometric.unpack(reference)
    turned = geometric.to_gray(_rgb(glyph.rotate(6, Image.Resampling.BICUBIC)), 512)
    # The true transform (reference frame -> upload), and a start a few degrees off.
    centre = np.array([ref.size[0] / 2, ref.size[1] / 2])
    scale = turned.shape[1] / ref.size[0]

    def turn(degrees: float) -> np.ndarray:
        angle = np.radians(degrees)
        linear = scale * np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
        shift = centre * scale - linear @ centre
        return np.hstack([linear, shift[:, None]])

    refined = refine.refine(turn(3.0), ref.size, thumb, turned)
    assert refined is not None
    corners = np.array([[0, 0, 1], [ref.size[0], 0, 1], [0, ref.size[1], 1]], float).T
    error = np.abs(refined @ corners - turn(6.0) @ corners).max()
    start = np.abs(turn(3.0) @ corners - turn(6.0) @ corners).max()
    assert error < start / 4, (error, start)
