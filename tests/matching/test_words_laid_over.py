"""Words laid over a picture (white capitals with a black outline, the meme style) do not
hide it: the content check leaves them out even where it asks the most (inliers bunched
round the reference's detail), and the whole upload is checked in place when the words
moved its hash and hid the keypoints an alignment needs. The other picture of a pair that
differs by one element, under the same words, stays apart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.match import Match
from hashdb.matching.robust import content, geometric, lettering, recolour
from hashdb.media import decode_image
from hashdb.service import HashDB
from hashdb.testing import robustness as data
from hashdb.testing import symbols
from tests.robust.conftest import known_pictures

_TEST = symbols.TEST
FACES = symbols.SymbolSet("face", 8, _TEST)
OUTLINED = symbols.SymbolSet("glyph", 3, _TEST, outline=True)
#: (name, known picture, the other picture of its pair, words' size, seed of the words)
PAIRS = {
    "face: open mouth": (FACES.draw("0000"), FACES.draw("0300"), "small", 0),
    "outlined E/F": (OUTLINED.draw("E"), OUTLINED.draw("F"), "large", 2),
}


def _in_place(picture: Image.Image, upload: bytes) -> tuple[np.ndarray, ...]:
    """The reference's grey and colour thumbnails, and the upload resized onto them in grey
    and in colour (the picture resized: no alignment needed)."""
    features = geometric.reference_features(np.asarray(picture.convert("RGB")))
    _, thumb = geometric.unpack(features)
    colour = recolour.colour_thumbnail(features)
    assert colour is not None
    size = (colour.shape[1], colour.shape[0])
    rgb = decode_image(upload).rgb_array
    gray = geometric.to_gray(rgb, geometric.FEATURE_SIDE)
    shown = cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    return thumb, shown, colour, recolour.colour_at(rgb, size, geometric.FEATURE_SIDE)


def _strict(picture: Image.Image, upload: bytes) -> content.Comparison:
    thumb, shown, colour, shown_colour = _in_place(picture, upload)
    return content.compare(
        thumb,
        shown,
        np.ones(thumb.shape, bool),
        colours=lambda: (colour, shown_colour),
        colour_must_agree=True,
    )


@pytest.mark.parametrize(("seed", "size"), [(1, "large"), (3, "large"), (0, "small")])
def test_the_strict_comparison_leaves_the_words_out(seed: int, size: str) -> None:
    known, other = FACES.draw("0000"), FACES.draw("0300")
    found = _strict(known, data.transformed(known.convert("RGB"), "text-overlay", size, seed))
    assert found.agrees and found.lettered, found
    # Nothing else is excused: the other mouth under the same words still differs, and so
    # does the known face with the words but without its colours.
    assert not _strict(
        known, data.transformed(other.convert("RGB"), "text-overlay", size, seed)
    ).agrees
    thumb, shown, _, _ = _in_place(
        known, data.transformed(known.convert("RGB"), "text-overlay", size, seed)
    )
    assert not content.compare(
        thumb, shown, np.ones(thumb.shape, bool), colour_must_agree=True
    ).agrees


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    path: Path = tmp_path_factory.mktemp("words") / "hashdb.sqlite"
    db, known = known_pictures(path, (known for known, _, _, _ in PAIRS.values()))
    yield db, known
    db.close()


def _with_words(db: HashDB, picture: Image.Image, size: str, seed: int) -> list[Match]:
    """What ``picture`` matches with words of ``size`` laid over it."""
    upload = data.transformed(picture.convert("RGB"), "text-overlay", size, seed)
    return db.matching.media(upload, principal=LOCAL_OPERATOR).matches


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_a_picture_with_words_laid_over_it_is_found_in_place(
    service: tuple[HashDB, set[int]], pair: str
) -> None:
    db, known = service
    picture, _, size, seed = PAIRS[pair]
    found = _with_words(db, picture, size, seed)
    assert {m.entry_id for m in found} & known, found
    # Confirmed without keypoints: the whole upload compared in place.
    assert any(
        m.variant.startswith("original>") and (m.verification or {}).get("inliers") == 0
        for m in found
    )


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_the_other_picture_with_the_same_words_is_not(
    service: tuple[HashDB, set[int]], pair: str
) -> None:
    db, _ = service
    _, other, size, seed = PAIRS[pair]
    matches = _with_words(db, other, size, seed)
    assert not matches, [(m.entry_id, m.stage, m.variant, m.verification) for m in matches]


def _white_on_black(mark: bool = False) -> Image.Image:
    """A white y on black (pure white and pure black of its own, as a glyph may be drawn),
    with an accent outlined in black over it if ``mark``: one added mark, not words."""
    picture = Image.new("RGB", (400, 400), (0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.text((200, 220), "y", fill=(255, 255, 255), font=data.font(300), anchor="mm")
    if mark:
        draw.line((180, 60, 240, 20), fill=(255, 255, 255), width=14)
        draw.line((170, 80, 250, 20), fill=(255, 255, 255), width=4)
    return picture


def _colours(picture: Image.Image, upload: bytes) -> tuple[np.ndarray, np.ndarray]:
    _, _, colour, shown_colour = _in_place(picture, upload)
    return colour, shown_colour


@pytest.mark.parametrize(("size", "seed"), [("small", 1), ("large", 2)])
def test_words_over_a_white_on_black_glyph_are_left_out(size: str, seed: int) -> None:
    picture = _white_on_black()
    reference, upload = _colours(picture, data.transformed(picture, "text-overlay", size, seed))
    left_out = lettering.lettering(reference, upload, np.ones(reference.shape[:2], bool))
    assert left_out is not None
    rows = np.flatnonzero(left_out.any(axis=1))
    assert rows[-1] - rows[0] < 0.3 * reference.shape[0]  # the words' band, not the glyph


def test_one_mark_added_to_a_white_on_black_glyph_is_not_lettering() -> None:
    # Its own strokes are pure white next to pure black: an accent is one mark, not a line
    # of words, and stays in the comparison.
    picture = _white_on_black()
    reference, upload = _colours(picture, data.encode(_white_on_black(mark=True), 90))
    assert lettering.lettering(reference, upload, np.ones(reference.shape[:2], bool)) is None


#: Posters with their words on top (the held-out style) in one layout.
_POSTERS = symbols.SymbolSet("text-poster", 18, symbols.TEST_HELD_OUT)


def test_a_poster_with_words_laid_over_it_is_not_taken_for_another_in_its_layout(
    tmp_path: Path,
) -> None:
    # Their lines of small words differ in a cell or two of the comparison; large words
    # laid over one hide those, and the rest agrees in place. A reference with lines of
    # words of its own is never confirmed in place that way.
    known, other = _POSTERS.draw("1").convert("RGB"), _POSTERS.draw("3").convert("RGB")
    _, thumb = geometric.unpack(geometric.reference_features(np.asarray(known)))
    assert lettering.has_words(thumb)
    db, _ = known_pictures(tmp_path / "hashdb.sqlite", [known])
    try:
        upload = data.transformed(other, "text-overlay", "large", 3)
        matches = db.matching.media(upload, principal=LOCAL_OPERATOR).matches
        assert not matches, [(m.entry_id, m.stage, m.variant, m.verification) for m in matches]
    finally:
        db.close()


@pytest.mark.parametrize(
    "picture",
    [FACES.draw("0000"), OUTLINED.draw("E"), symbols.SymbolSet("flag", 9, _TEST).draw("01210")],
    ids=["face", "glyph", "flag"],
)
def test_symbols_have_no_words_of_their_own(picture: Image.Image) -> None:
    _, thumb = geometric.unpack(geometric.reference_features(np.asarray(picture.convert("RGB"))))
    assert not lettering.has_words(thumb)
