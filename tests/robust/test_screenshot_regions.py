"""A picture shown inside a screenshot whose page is nearly its own colour: a dark scene
with a colour cast, a glyph on a dark ground, in a dark-mode page. Its region is found by
colour, not by grey alone, and its box is tightened on the upload's own pixels, so a strip
of the page does not move the region's hash; the known picture matches and the other
glyph of its pair, embedded the same way, stays apart."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import framing, variants
from hashdb.media import decode_image
from hashdb.service import HashDB
from hashdb.testing import robustness as data
from hashdb.testing import symbols
from tests.robust.conftest import known_database

#: Glyphs on a dark ground (an E and its F): neither was a region of a dark-mode page by
#: grey alone.
GLYPHS = (
    symbols.SymbolSet("glyph", 41, symbols.TEST),
    symbols.SymbolSet("glyph", 45, symbols.TEST),
)
#: A dark scene whose ground differs from a dark page mostly in hue.
DARK_SCENE = 2
#: Generator seeds of a dark-mode browser page (``embed_screenshot``).
DARK_PAGES = (1, 5)


def _dark_scene() -> Image.Image:
    return data.photo(DARK_SCENE, (640, 480), dark=True)


def _shown(picture: Image.Image, page: int) -> Image.Image:
    return data.embed_screenshot(picture.convert("RGB"), np.random.default_rng(page), 0.65)


def _picture_box(picture: Image.Image, shot: Image.Image) -> tuple[int, int, int, int]:
    """Where ``embed_screenshot`` put ``picture`` in a browser page (left 40, below the line
    of words over it; the top read from the pixels: the first row that is not the page's)."""
    fit = min((shot.width - 40) / picture.width, (shot.height - 400) / picture.height) * 0.65
    width, height = round(picture.width * fit), round(picture.height * fit)
    pixels = np.asarray(shot).astype(int)
    column = pixels[128:, 40 + width // 2]
    top = 128 + int(np.flatnonzero(np.abs(column - column[0]).max(axis=1) > 14)[0])
    return 40, top, 40 + width, top + height


def test_a_dark_scene_in_a_dark_page_is_a_region_with_its_own_edges() -> None:
    picture = _dark_scene()
    shot = _shown(picture, DARK_PAGES[0])
    expected = _picture_box(picture, shot)
    image = decode_image(data.encode(shot, 90))
    _, _, boxes = variants.query_variants(image)
    scale = image.rgb_array_size[0] / shot.width
    regions = [box for name, box in boxes.items() if name.startswith("region-")]
    assert any(
        all(abs(found / scale - wanted) <= 2 for found, wanted in zip(box, expected, strict=True))
        for box in regions
    ), (regions, expected)


def test_a_strip_of_the_page_is_trimmed_off_a_region() -> None:
    colour = np.array([18, 18, 20], np.uint8)
    crop = np.full((60, 80, 3), colour, np.uint8)
    crop[3:58, 2:77] = (30, 200, 170)  # a flat stripe, the page round it
    crop[1, 2:77] = (0, 26, 25)  # JPEG's smear of the stripe into the page: off its colour,
    crop[2, 2:77] = (0, 45, 29)  # yet nearer to it than to the stripe
    assert framing.tighten(crop, colour) == (2, 3, 77, 58)
    # A picture that fills its crop keeps every line, a dark band of its own at the edge too.
    crop[3:7, 2:77] = (20, 60, 50)
    assert framing.tighten(crop[3:58, 2:77], colour) == (0, 0, 75, 55)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    pictures = [_dark_scene(), *(glyphs.draw("E") for glyphs in GLYPHS)]
    yield from known_database(tmp_path_factory, "screens", pictures)


def _matched(db: HashDB, picture: Image.Image, page: int) -> set[int]:
    upload = data.encode(_shown(picture, page), 90)
    return {m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches}


@pytest.mark.parametrize("page", DARK_PAGES)
@pytest.mark.parametrize("picture", ["dark scene", "glyph 41", "glyph 45"])
def test_a_picture_in_a_page_of_nearly_its_colour_matches(
    service: tuple[HashDB, set[int]], picture: str, page: int
) -> None:
    db, known = service
    shown = _dark_scene() if picture == "dark scene" else _glyphs(picture).draw("E")
    assert known & _matched(db, shown, page)


@pytest.mark.parametrize("page", DARK_PAGES)
@pytest.mark.parametrize("picture", ["glyph 41", "glyph 45"])
def test_the_other_glyph_of_its_pair_in_that_page_stays_apart(
    service: tuple[HashDB, set[int]], picture: str, page: int
) -> None:
    db, _ = service
    assert not _matched(db, _glyphs(picture).draw("F"), page)


def _glyphs(name: str) -> symbols.SymbolSet:
    return next(glyphs for glyphs in GLYPHS if glyphs.seed == int(name.split()[1]))
