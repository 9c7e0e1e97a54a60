"""A picture that is its own mirror image but for a detail: mirrored, it is another picture.

An A is symmetric and its accent is not: mirror an À and it is an Á, pixel for pixel. So a
match reached only through a mirror image is refused when the known picture, mirrored,
agrees with itself in all but a few cells. Pictures that are wholly symmetric, or plainly
asymmetric, still match mirrored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import geometric, symmetry
from hashdb.service import HashDB
from hashdb.testing import robustness as data
from hashdb.testing import symbols
from tests.robust.conftest import known_pictures

GLYPHS = symbols.SymbolSet("glyph", 4, symbols.TEST, outline=False)


def _thumb(picture: Image.Image) -> np.ndarray:
    return geometric.unpack(geometric.reference_features(np.asarray(picture.convert("RGB"))))[1]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, dict[str, int]]]:
    """Á (symmetric but for its accent), H (symmetric) and F (asymmetric) are known."""
    path: Path = tmp_path_factory.mktemp("mirror") / "hashdb.sqlite"
    names = ("Á", "H", "F")
    db, known = known_pictures(path, [GLYPHS.draw(name) for name in names])
    ids = {}
    for name in names:
        upload = data.encode(GLYPHS.draw(name), 95)
        matches = db.matching.media(upload, principal=LOCAL_OPERATOR).matches
        ids[name] = next(m.entry_id for m in matches if m.algorithm == "pdq")
    assert set(ids.values()) <= known
    yield db, ids
    db.close()


def _matched(db: HashDB, picture: Image.Image, edit: str, strength: str) -> set[int]:
    upload = data.transformed(picture, edit, strength, seed=5)
    return {m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches}


@pytest.mark.parametrize(
    ("edit", "strength"), [("jpeg", "q50"), ("grayscale", "gray"), ("caption", "top15%")]
)
def test_a_sibling_is_not_matched_through_its_mirror_image(
    service: tuple[HashDB, dict[str, int]], edit: str, strength: str
) -> None:
    # The upload's mirror image is the known Á: the mirrored variants must not say so.
    db, ids = service
    assert ids["Á"] not in _matched(db, GLYPHS.draw("À"), edit, strength)


def test_a_mirrored_copy_of_a_picture_symmetric_but_for_a_detail_is_refused(
    service: tuple[HashDB, dict[str, int]],
) -> None:
    # The same pixels as the mirrored À above: which of the two it was cannot be told.
    db, ids = service
    assert ids["Á"] not in _matched(db, GLYPHS.draw("Á"), "mirror", "horizontal")


@pytest.mark.parametrize("name", ["H", "F"])
def test_symmetric_and_asymmetric_pictures_still_match_mirrored(
    service: tuple[HashDB, dict[str, int]], name: str
) -> None:
    db, ids = service
    assert ids[name] in _matched(db, GLYPHS.draw(name), "mirror", "horizontal")


def test_only_a_near_symmetric_picture_is_ambiguous() -> None:
    accented, plain, other = (_thumb(GLYPHS.draw(name)) for name in ("Á", "H", "F"))
    assert symmetry.ambiguous(accented)
    assert not symmetry.ambiguous(plain)  # its own mirror image
    assert not symmetry.ambiguous(other)  # plainly another picture
