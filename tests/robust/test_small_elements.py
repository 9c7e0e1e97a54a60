"""Symbols that differ in a small element: another accent, other eyes.

Pictures of flat colours (faces, glyphs drawn in outlines and fills) get none of the
excuses a photo gets: no overlay allowance however many cells their outlines cross, and on
the rim of the compared area what the reference shows there must be shown. And a cell
whose mean and spread agree may still hold an element the other picture lacks.

The uploads below were confirmed as the known beside them before these rules: a face with
ring eyes downscaled to 150 pixels as the same face with dot eyes (the face's outlines made
it "detailed", and its eyes were the few cells a logo may cover), an Ë in a caption as an
Ê (the accent on the top row of the region it was found in, excused as the edge of a
frame), and an Ë with a caption above it as an Ê of the same font (two square dots and a
circumflex in cells that correlate)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import content
from hashdb.matching.robust.cells import element_cells, flat_colours
from hashdb.testing import robustness as data
from hashdb.testing import symbols
from hashdb.testing.robustness import pictures
from tests.robust.conftest import known_pictures


def _thumbnail(picture: Image.Image) -> np.ndarray:
    grey = np.asarray(picture.convert("L"))
    return cv2.resize(grey, (256, 256), interpolation=cv2.INTER_AREA)


def test_a_face_in_outlines_is_flat_and_a_photo_is_not() -> None:
    everywhere = np.ones((256, 256), bool)
    policy = content.ContentPolicy()
    share = policy.flat_share
    assert share is not None

    def flat(picture: Image.Image) -> bool:
        return flat_colours(_thumbnail(picture), everywhere, share, policy.flat_spread)

    assert flat(symbols.SymbolSet("face", 1011, symbols.DEV).draw("0521"))
    assert flat(symbols.SymbolSet("glyph", 1004, symbols.DEV).draw("Ê"))
    for seed in (3, 4, 5):
        assert not flat(pictures.photo(seed)), seed
        assert not flat(pictures.photo(seed, dark=True)), seed


def test_a_patch_one_picture_lacks_differs_and_a_strip_along_an_edge_does_not() -> None:
    policy = content.ContentPolicy()
    assert policy.element_area is not None

    def cells(residual: np.ndarray) -> np.ndarray:
        area = policy.element_area or 0
        return element_cells(residual, 16, policy.element_residual, policy.element_width, area)

    residual = np.zeros((256, 256), np.float32)
    residual[20:220, 100:104] = 1.0  # an edge 4 pixels off, all along a glyph's ground
    assert not cells(residual).any()
    residual[50:60, 36:46] = 1.0  # a square dot the reference lacks
    found = cells(residual)
    assert found.sum() == 1 and found[3, 2]
    residual[50:60, 36:46] = 0.4  # the same dot a little off in tone: not an element
    assert not cells(residual).any()


@pytest.mark.parametrize(
    ("kind", "known_seed", "other_seed", "known", "other", "edit", "strength", "number"),
    [
        ("face", 1011, 1011, "0521", "3521", "downscale", "30%", 674),
        # The Ê known and the Ë uploaded from two glyph sets (two fonts and colourings).
        ("glyph", 1004, 1000, "Ê", "Ë", "caption", "both15%", 50),
        ("glyph", 1004, 1004, "Ê", "Ë", "caption", "top30%", 323),
    ],
    ids=["ring-eyes-for-dots", "diaeresis-for-circumflex", "dots-where-a-circumflex-is"],
)
def test_a_symbol_differing_in_a_small_element_is_not_confirmed(
    tmp_path: Path,
    kind: str,
    known_seed: int,
    other_seed: int,
    known: str,
    other: str,
    edit: str,
    strength: str,
    number: int,
) -> None:
    known_set = symbols.SymbolSet(kind, known_seed, symbols.DEV)
    other_set = symbols.SymbolSet(kind, other_seed, symbols.DEV)
    db, _ = known_pictures(tmp_path / "hashdb.sqlite", [known_set.draw(known)], lossless=True)
    try:
        upload = data.transformed(other_set.draw(other), edit, strength, 50_000 + number)
        assert not db.matching.media(upload, principal=LOCAL_OPERATOR).matches
        # The known symbol itself under the same edit is still found.
        own = data.transformed(known_set.draw(known), edit, strength, 50_000 + number)
        assert db.matching.media(own, principal=LOCAL_OPERATOR).matches
    finally:
        db.close()


def _bar_with(extra: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A black bar on white (the reference), the same with ``extra`` (the upload), and a
    compared area whose top edge is a crop's, at row 60."""
    reference = np.full((256, 256), 255, np.uint8)
    reference[90:230, 110:146] = 0
    upload = reference.copy()
    if extra == "dots":  # two dots just under the crop's edge, standing free of it
        upload[66:78, 96:110] = 0
        upload[66:78, 146:160] = 0
    elif extra == "strip":  # a strip along the crop's edge: what a frame or fill leaves
        upload[60:74, :] = 0
    elif extra == "logo":  # a logo set in a little from the top-left corner
        upload[66:80, 6:20] = 0
    covered = np.zeros((256, 256), np.uint8)
    covered[60:, :] = 1
    return reference, upload.astype(np.float32), covered


def test_dots_standing_free_under_a_crops_edge_differ_and_a_strip_along_it_does_not() -> None:
    # A ÿ cropped at the top and captioned was confirmed as the y of its font: its dots lay
    # in the top row of the compared area, where an upload busier than the reference was
    # taken for the edge of a frame.
    policy = content.ContentPolicy()
    assert not content.compare(*_bar_with("dots"), policy).agrees
    assert content.compare(*_bar_with("strip"), policy).agrees
    assert content.compare(*_bar_with(""), policy).agrees
    # Free of the edges too, but in a corner: a channel's logo, excused as before.
    assert content.compare(*_bar_with("logo"), policy).agrees


@st.composite
def _flat_pair(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A flat reference of a few bars, an upload with bars and dots added or removed (most
    near the compared area's top-left corner, where a logo would be excused), and a
    compared area cut by a crop's edges."""
    top, left = draw(st.integers(0, 70)), draw(st.integers(0, 70))
    reference = np.full((256, 256), 255, np.uint8)
    for _ in range(draw(st.integers(1, 3))):
        x, y = draw(st.integers(left, left + 120)), draw(st.integers(top, top + 120))
        reference[y : y + draw(st.integers(10, 50)), x : x + draw(st.integers(10, 50))] = 0
    upload = reference.copy()
    for _ in range(draw(st.integers(0, 5))):
        x, y = draw(st.integers(left, left + 70)), draw(st.integers(top, top + 70))
        side = draw(st.integers(4, 16))
        upload[y : y + side, x : x + side] = draw(st.sampled_from([0, 255]))
    covered = np.zeros((256, 256), np.uint8)
    covered[top:, left:] = 1
    return reference, upload.astype(np.float32), covered


@settings(max_examples=300, deadline=None)
@given(_flat_pair())
def test_free_elements_only_ever_refuse(pair: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    with_rule = content.ContentPolicy()
    without = dataclasses.replace(with_rule, element_clearance=None)
    if content.compare(*pair, with_rule).agrees:
        assert content.compare(*pair, without).agrees
