"""White words with a black outline laid over a picture are left out of the content
comparison when the reference has no such strokes of its own; what differs elsewhere still
differs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import geometric, lettering, recolour
from hashdb.media import decode_image
from hashdb.service import HashDB
from hashdb.testing import robustness as data
from hashdb.testing import symbols
from hashdb.testing.robustness.pictures import font
from tests.robust.conftest import known_database, known_pictures

_TEST = symbols.TEST
GLYPHS = symbols.SymbolSet("glyph", 7, _TEST, outline=False)


def _colours(picture: Image.Image, upload: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The reference's colour thumbnail and the upload's colours at its size (an upload
    that is the picture resized: no alignment needed)."""
    features = geometric.reference_features(np.asarray(picture.convert("RGB")))
    colour = recolour.colour_thumbnail(features)
    assert colour is not None
    size = (colour.shape[1], colour.shape[0])
    return colour, recolour.colour_at(decode_image(upload).rgb_array, size, geometric.FEATURE_SIDE)


def test_one_outlined_mark_is_not_lettering() -> None:
    # A grey icon with a thin dark outline, and the same icon with one white bar outlined
    # in black added (a calendar and a calendar with a minus): the bar is an element the
    # icon lacks, not words laid over it, however white and black its pixels are.
    picture = Image.new("RGB", (400, 400), (250, 250, 250))
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((80, 80, 320, 320), 30, outline=(60, 60, 60), width=4)
    marked = picture.copy()
    ImageDraw.Draw(marked).rounded_rectangle(
        (130, 185, 270, 215), 12, fill=(255, 255, 255), outline=(0, 0, 0), width=5
    )
    reference, upload = _colours(picture, data.encode(marked, 90))
    assert lettering.lettering(reference, upload, np.ones(reference.shape[:2], bool)) is None


def test_other_words_of_a_poster_in_its_layout_are_not_lettering() -> None:
    # Made brighter, the other poster's cream words are pure white on near black: words of
    # the reference's own kind and size where the reference has its own, not laid over it.
    posters = symbols.SymbolSet("text-poster", 18, symbols.TEST_HELD_OUT)
    picture = posters.draw("1")
    other = data.transformed(posters.draw("2"), "brightness-contrast", "contrast150%", 5)
    reference, upload = _colours(picture, other)
    assert lettering.lettering(reference, upload, np.ones(reference.shape[:2], bool)) is None


@pytest.mark.parametrize("kind", ["photo", "dark"])
def test_lettering_is_found_in_one_band_and_not_on_a_plain_copy(kind: str) -> None:
    # On a dark picture the black outline matches the reference: the white fill next to
    # it is what gives the words away.
    picture = data.draw_kind(kind, 0)
    reference, upload = _colours(picture, data.transformed(picture, "text-overlay", "large", 5))
    inside = np.ones(reference.shape[:2], bool)
    left_out = lettering.lettering(reference, upload, inside)
    assert left_out is not None
    rows = np.flatnonzero(left_out.any(axis=1))
    assert 0 < rows[-1] - rows[0] < 0.4 * reference.shape[0]  # one band, not the picture
    _, plain = _colours(picture, data.encode(picture, 90))
    assert lettering.lettering(reference, plain, inside) is None


def test_on_a_black_on_white_reference_only_a_line_of_words_is_left_out() -> None:
    # Its own strokes are pure black next to pure white: an added stroke looks alike, and
    # stays in the comparison; words laid across it are a line of many letters.
    picture = Image.new("RGB", (400, 300), (255, 255, 255))
    picture.paste((0, 0, 0), (60, 60, 340, 90))
    stroke = picture.copy()
    stroke.paste((0, 0, 0), (60, 150, 340, 170))
    reference, upload = _colours(picture, data.encode(stroke, 90))
    assert lettering.lettering(reference, upload, np.ones(reference.shape[:2], bool)) is None
    reference, upload = _colours(picture, data.transformed(picture, "text-overlay", "large", 5))
    assert lettering.lettering(reference, upload, np.ones(reference.shape[:2], bool)) is not None


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    yield from known_database(
        tmp_path_factory, "lettering", (data.draw_kind("photo", 0), GLYPHS.draw("j"))
    )


@pytest.mark.parametrize(
    ("name", "size"), [("photo", "small"), ("photo", "large"), ("glyph j", "small")]
)
def test_a_picture_with_words_laid_over_it_matches(
    service: tuple[HashDB, set[int]], name: str, size: str
) -> None:
    db, known = service
    picture = data.draw_kind("photo", 0) if name == "photo" else GLYPHS.draw("j")
    upload = data.transformed(picture.convert("RGB"), "text-overlay", size, 5)
    assert known & {m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches}


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_other_glyph_with_words_laid_over_it_does_not(
    service: tuple[HashDB, set[int]], size: str
) -> None:
    db, _ = service
    upload = data.transformed(GLYPHS.draw("J").convert("RGB"), "text-overlay", size, 5)
    assert not db.matching.media(upload, principal=LOCAL_OPERATOR).matches


def _words_at(picture: Image.Image, row: int, px: int = 30) -> bytes:
    """``picture`` with a line of white words outlined in black centred on ``row``."""
    out = picture.convert("RGB")
    ImageDraw.Draw(out).text(
        (out.width // 2, row),
        "VOICE LIGHT NORTH",
        fill=(255, 255, 255),
        font=font(px),
        anchor="mm",
        stroke_width=max(1, px // 12),
        stroke_fill=(0, 0, 0),
    )
    return data.encode(out, 90)


@pytest.fixture(scope="module")
def accented(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    yield from known_database(tmp_path_factory, "accented", (GLYPHS.draw("Ý"),))


@pytest.mark.parametrize("row", [118, 126])
def test_words_just_under_an_accent_do_not_excuse_its_absence(
    accented: tuple[HashDB, set[int]], row: int
) -> None:
    # Words laid across the top of a Y, just under where a known Ý has its accent: the
    # cells round the words are no edge of the picture, and the accent the Y lacks there
    # is content, not the fill an edit leaves. The Ý under the same words still matches.
    db, known = accented
    plain = db.matching.media(_words_at(GLYPHS.draw("Y"), row), principal=LOCAL_OPERATOR)
    assert not plain.matches
    same = db.matching.media(_words_at(GLYPHS.draw("Ý"), row), principal=LOCAL_OPERATOR)
    assert known & {match.entry_id for match in same.matches}


# A glyph set in its own colours (GLYPHS above is drawn without its outline) and a flag set.
LETTERS = symbols.SymbolSet("glyph", 7, _TEST)
FLAGS = symbols.SymbolSet("flag", 3, _TEST)


@pytest.fixture(scope="module")
def far(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    yield from known_database(tmp_path_factory, "far", (LETTERS.draw("B"), FLAGS.draw("01202")))


@pytest.mark.parametrize(
    ("pictures", "member", "seed"),
    [
        # a flag whose first stripe is a darker green: same hue, and the same grey once
        # the tone map has learnt that stripe's level (words within the radius, and beyond)
        (FLAGS, "31202", 3),
        (FLAGS, "31202", 5),
        (FLAGS, "01212", 5),
        (LETTERS, "R", 5),
        (LETTERS, "8", 5),
        (LETTERS, "P", 3),
    ],
)
def test_the_other_picture_under_the_same_words_does_not(
    far: tuple[HashDB, set[int]], pictures: symbols.SymbolSet, member: str, seed: int
) -> None:
    db, _ = far
    upload = data.transformed(pictures.draw(member).convert("RGB"), "text-overlay", "large", seed)
    assert not db.matching.media(upload, principal=LOCAL_OPERATOR).matches


def test_small_words_are_found_at_the_uploads_own_resolution() -> None:
    # Small words' 1-pixel outline and thin fill are grey by the thumbnail's size; at the
    # upload's own resolution they are white edged in black.
    picture = data.draw_kind("dark", 0)
    upload = data.transformed(picture.convert("RGB"), "text-overlay", "small", 1)
    reference, shown = _colours(picture, upload)
    inside = np.ones(reference.shape[:2], bool)
    assert lettering.lettering(reference, shown, inside) is None
    size = (reference.shape[1], reference.shape[0])
    fine = lettering.outlined(decode_image(upload).rgb_array, size)
    left_out = lettering.lettering(reference, shown, inside, fine)
    assert left_out is not None
    rows = np.flatnonzero(left_out.any(axis=1))
    assert 0 < rows[-1] - rows[0] < 0.2 * reference.shape[0]  # the words' band
    _, plain = _colours(picture, data.encode(picture, 90))
    plain_fine = lettering.outlined(np.asarray(picture.convert("RGB")), size)
    assert lettering.lettering(reference, plain, inside, plain_fine) is None


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    yield from known_database(
        tmp_path_factory, "scenes", (data.draw_kind("photo", 5), data.draw_kind("dark", 0))
    )


@pytest.mark.parametrize(("kind", "index", "seed"), [("photo", 5, 1), ("dark", 0, 1)])
def test_a_picture_with_small_words_laid_over_it_matches(
    scenes: tuple[HashDB, set[int]], kind: str, index: int, seed: int
) -> None:
    db, known = scenes
    upload = data.transformed(
        data.draw_kind(kind, index).convert("RGB"), "text-overlay", "small", seed
    )
    assert known & {m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches}


# An icon group of the dev split drawn in outlines: a calendar, and one with a cross in it.
CALENDARS = symbols.SymbolSet("icon", 1025, symbols.DEV)


@pytest.fixture(scope="module")
def calendar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    yield from known_database(tmp_path_factory, "calendar", (CALENDARS.draw("calendar"),))


def test_small_words_across_a_drawings_cross_do_not_hide_it(
    calendar: tuple[HashDB, set[int]],
) -> None:
    # Found at full resolution, small words' strokes with their margin cover the cross of
    # an icon drawn in flat colours: what they hide cannot be compared, so on such a
    # drawing only the lettering its thumbnail shows is left out.
    db, _ = calendar
    crossed = CALENDARS.draw("calendar-xmark").convert("RGB")
    for seed in (16, 24, 39, 48):  # words across the cross (others lie clear of it)
        upload = data.transformed(crossed, "text-overlay", "small", seed)
        assert not db.matching.media(upload, principal=LOCAL_OPERATOR).matches


@pytest.fixture(scope="module")
def minus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HashDB]:
    path = tmp_path_factory.mktemp("minus") / "hashdb.sqlite"
    db, _ = known_pictures(path, (CALENDARS.draw("calendar-minus"),), lossless=True)
    yield db
    db.close()


def test_an_element_round_the_words_is_no_blurred_edge_of_them(minus: HashDB) -> None:
    # Small words across the middle of a calendar with a cross lie over most of the known
    # calendar's minus sign. Round the words the cross's arms are busier than the minus
    # sign's ends, as the words' blurred edges would be over a plain ground; on a drawing
    # of flat colours only a plain ground round the words excuses a busier upload.
    crossed = CALENDARS.draw("calendar-xmark").convert("RGB")
    upload = data.transformed(crossed, "text-overlay", "small", 18)
    assert not minus.matching.media(upload, principal=LOCAL_OPERATOR).matches
    same = data.transformed(CALENDARS.draw("calendar-minus").convert("RGB"), "jpeg", "q50", 18)
    assert minus.matching.media(same, principal=LOCAL_OPERATOR).matches
