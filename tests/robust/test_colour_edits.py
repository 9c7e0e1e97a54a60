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

_TEST = symbols.TEST
#: A flag and one that differs by its emblem; a flag and one with another middle stripe
#: whose grey is close to the known one's (a grey comparison alone cannot tell them apart).
EMBLEM = (symbols.SymbolSet("flag", 10, _TEST), "01220", "01200")
STRIPE = (symbols.SymbolSet("flag", 21, _TEST), "01210", "01310")


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
