"""A hue or saturation edit moves the grey levels of a picture's colours unevenly; the
content check measures the edit as one hue shift and one saturation factor from the colours
and compares again, and a stripe of another colour still differs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import geometric, recolour
from hashdb.media import decode_image
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data
from hashdb.testing import symbols
from tests.robust.conftest import known_database

_TEST = symbols.TEST
#: A flag and one that differs by its emblem; a flag and one with another middle stripe
#: whose grey is close to the known one's (a grey comparison alone cannot tell them apart).
EMBLEM = (symbols.SymbolSet("flag", 10, _TEST), "01220", "01200")
STRIPE = (symbols.SymbolSet("flag", 21, _TEST), "01210", "01310")
#: A face without brows and the same face with pink brows on its pale green (18 grey levels
#: apart), straight or slanted and thin.
FACES = symbols.SymbolSet("face", 7, _TEST)


def _edited(picture: Image.Image, strength: str) -> bytes:
    return data.transformed(picture.convert("RGB"), "saturation-hue", strength, 5)


def _probe(upload: bytes) -> tuple[np.ndarray, np.ndarray]:
    rgb = decode_image(upload).rgb_array
    gray = geometric.to_gray(rgb, geometric.FEATURE_SIDE)
    return gray, recolour.colour_at(rgb, (gray.shape[1], gray.shape[0]), geometric.FEATURE_SIDE)


def _confirmed(known: Image.Image, upload: bytes, *, colour: bool = True) -> bool:
    features = geometric.reference_features(np.asarray(known.convert("RGB")))
    gray, colours = _probe(upload)
    return geometric.verify_in_place(features, gray, None, colours if colour else None).confirmed


def test_the_colour_thumbnail_is_stored_after_the_grey_one_and_older_entries_have_none() -> None:
    chosen, known, _ = EMBLEM
    picture = np.asarray(chosen.draw(known).convert("RGB"))
    features = geometric.reference_features(picture)
    _, gray = geometric.unpack(features)
    colour = recolour.colour_thumbnail(features)
    assert colour is not None and colour.shape == (*gray.shape, 3)
    # Its grey is the grey thumbnail's, up to the linear contrast stretch of the latter.
    own_gray = cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY).astype(np.float64).ravel()
    assert np.corrcoef(own_gray, gray.astype(np.float64).ravel())[0, 1] > 0.99
    grey_only = features.thumbnail[: recolour.png_end(features.thumbnail)]
    older = dataclasses.replace(features, thumbnail=grey_only)
    assert recolour.colour_thumbnail(older) is None
    assert np.array_equal(geometric.unpack(older)[1], gray)
    raw = dataclasses.replace(features, thumbnail=gray.tobytes())
    assert recolour.colour_thumbnail(raw) is None


def test_a_hue_turned_flag_agrees_once_the_turn_is_measured() -> None:
    chosen, known, _ = EMBLEM
    upload = _edited(chosen.draw(known), "hue-40")
    assert not _confirmed(chosen.draw(known), upload, colour=False)  # grey levels moved
    assert _confirmed(chosen.draw(known), upload)


def test_the_flag_with_another_emblem_or_stripe_still_differs_under_a_hue_turn() -> None:
    cases = [(EMBLEM, strength) for strength in ("hue-40", "hue+20", "sat1.8")]
    cases += [(STRIPE, strength) for strength in ("hue-40", "hue+20")]
    for (chosen, known, other), strength in cases:
        upload = _edited(chosen.draw(other), strength)
        assert not _confirmed(chosen.draw(known), upload), (other, strength)
    # The stripe's grey is the known one's: only its colour tells them apart once the
    # hue turn is undone, and the known flag under that turn still agrees.
    chosen, known, _ = STRIPE
    assert _confirmed(chosen.draw(known), _edited(chosen.draw(known), "hue+20"))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    path: Path = tmp_path_factory.mktemp("colour") / "hashdb.sqlite"
    db = HashDB(Settings(db=str(path), refresh_interval=0))
    report = db.adding.media(
        "terror",
        data.encode(data.poster(0), 95),
        EntryMetadata(label="known", added_by="analyst"),
        principal=LOCAL_OPERATOR,
    )
    yield db, {added.entry_id for added in report.added}
    db.close()


def test_a_hue_turned_poster_matches_and_another_in_its_template_does_not(
    service: tuple[HashDB, set[int]],
) -> None:
    db, entry_ids = service
    found = db.matching.media(_edited(data.poster(0), "hue-40"), principal=LOCAL_OPERATOR)
    assert entry_ids & {match.entry_id for match in found.matches}
    other = _edited(data.poster(1, template=0), "hue-40")
    assert not db.matching.media(other, principal=LOCAL_OPERATOR).matches


@pytest.fixture(scope="module")
def face(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    yield from known_database(tmp_path_factory, "face", [FACES.draw("0000")])


def _face_matched(db: HashDB, known: set[int], member: str, edit: str) -> bool:
    family, strength = edit.split(":")
    upload = data.transformed(FACES.draw(member).convert("RGB"), family, strength, 1)
    return bool(
        known & {m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches}
    )


@pytest.mark.parametrize(
    "edit", ["jpeg:q20", "jpeg:q50", "downscale:30%", "noise:s20", "saturation-hue:hue+20"]
)
def test_brows_of_another_hue_at_the_same_grey_tell_two_faces_apart(
    face: tuple[HashDB, set[int]], edit: str
) -> None:
    db, known = face
    assert _face_matched(db, known, "0000", edit)
    assert not _face_matched(db, known, "0010", edit)
    assert not _face_matched(db, known, "0020", edit)


def test_the_brows_differ_as_elements_of_another_colour(face: tuple[HashDB, set[int]]) -> None:
    # They change no cell's grey and too few cells' mean hue: without the colour elements,
    # the straight brows pass for the known face, on a plain hash match 20 bits away.
    db, known = face
    robust = db.pipeline.robust
    kept = robust.policy
    content = dataclasses.replace(kept.geometric.content, colour_element_distance=None)
    robust.policy = dataclasses.replace(
        kept, geometric=dataclasses.replace(kept.geometric, content=content)
    )
    try:
        assert _face_matched(db, known, "0010", "jpeg:q50")
    finally:
        robust.policy = kept


def _lab_colour(lightness: float, a: float, b: float) -> np.ndarray:
    """One RGB pixel of the given CIELAB (8-bit: a*, b* centred on 0)."""
    lab = np.array([[[lightness, a + 128, b + 128]]], np.uint8)
    rgb: np.ndarray = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)[0, 0]
    return rgb


def _ground(colour: np.ndarray) -> np.ndarray:
    return np.broadcast_to(colour, (256, 256, 3)).copy()


def _elements(reference: np.ndarray, upload: np.ndarray, *more: np.ndarray) -> int:
    everywhere = np.ones((16, 16), bool)
    found = recolour.colour_element_cells(
        (reference, *more), upload, everywhere, 16, 30.0, 50.0, 2, 40
    )
    return int(found.sum())


GREEN = _lab_colour(230, -31, 20)


def test_a_bar_of_another_hue_at_the_same_grey_is_an_element() -> None:
    face = _ground(GREEN)
    brows = face.copy()
    brows[100:106, 60:120] = _lab_colour(230, 15, 1)  # pink, as light as the green
    assert _elements(face, brows) >= 3
    # ... wherever it lies in a cell, but not in a patch too small or too thin.
    small = face.copy()
    small[100:106, 60:66] = _lab_colour(230, 15, 1)
    thin = face.copy()
    thin[100:101, 20:240] = _lab_colour(230, 15, 1)
    assert _elements(face, small) == 0
    assert _elements(face, thin) == 0


def test_white_or_black_words_are_no_element_of_another_colour() -> None:
    face = _ground(GREEN)
    words = face.copy()
    words[100:110, 40:200] = 255
    words[120:130, 40:200] = 0
    assert _elements(face, words) == 0


def test_a_line_blurred_into_the_colour_beside_it_is_no_element() -> None:
    reference = _ground(GREEN)
    reference[100:106, 40:200] = _lab_colour(40, 16, 16)  # a thin dark line
    assert _elements(reference, _ground(GREEN)) == 0


def test_a_colour_made_brighter_keeps_its_hue_and_is_no_element() -> None:
    # A contrast edit that clips a channel doubles a blue's chroma and turns it a little.
    reference = _ground(_lab_colour(110, 3, -45))
    assert _elements(reference, _ground(_lab_colour(85, 46, -79))) == 0
    assert _elements(reference, _ground(_lab_colour(110, 45, 3))) > 0  # another hue


def test_an_element_must_differ_from_the_reference_as_it_is_and_as_recoloured() -> None:
    # A hue shift measured on a few pixels may be wrong: the reference as it is then
    # shows the upload's colours, and nothing differs.
    reference = _ground(GREEN)
    turned = _ground(_lab_colour(230, 31, -20))
    assert _elements(turned, reference) > 0
    assert _elements(turned, reference, reference) == 0
