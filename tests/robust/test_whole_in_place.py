"""The whole upload compared in place when its hash moved too far for the plain threshold
and keypoints cannot align it: a flat drawing downscaled, or re-encoded with noise. Not a
poster with lines of small words of its own: another poster in its layout differs from it
in a cell or two."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import HashDB
from hashdb.testing import robustness as data
from hashdb.testing import symbols
from tests.robust.conftest import known_database

FACES = symbols.SymbolSet("face", 7, symbols.TEST)
OTHER_FACES = symbols.SymbolSet("face", 2, symbols.TEST)
POSTERS = symbols.SymbolSet("text-poster", 0, symbols.TEST)
KNOWN = ((FACES, "0000"), (OTHER_FACES, "0000"), (POSTERS, "0"))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    yield from known_database(tmp_path_factory, "whole", (s.draw(m) for s, m in KNOWN))


def _matched(
    db: HashDB, pictures: symbols.SymbolSet, member: str, edit: str, seed: int
) -> set[int]:
    family, strength = edit.split(":")
    upload = data.transformed(pictures.draw(member).convert("RGB"), family, strength, seed)
    return {m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches}


@pytest.mark.parametrize(
    ("pictures", "member", "edit"),
    [
        (FACES, "0000", "downscale:30%"),
        (FACES, "0000", "downscale:thumb160"),
        (OTHER_FACES, "0000", "noise:s20"),
    ],
)
def test_a_downscaled_drawing_is_found_in_place(
    service: tuple[HashDB, set[int]], pictures: symbols.SymbolSet, member: str, edit: str
) -> None:
    db, known = service
    assert known & _matched(db, pictures, member, edit, 0)
    # ... by this check: without it, neither its hash nor its keypoints reach it.
    robust = db.pipeline.robust
    kept = robust.policy
    robust.policy = dataclasses.replace(kept, whole_in_place_distance=0)
    try:
        assert not known & _matched(db, pictures, member, edit, 0)
    finally:
        robust.policy = kept


@pytest.mark.parametrize(
    "edit", ["downscale:30%", "downscale:thumb160", "noise:s20", "upscale:150%", "jpeg:q20"]
)
@pytest.mark.parametrize(("pictures", "known_member"), KNOWN[1:])
def test_other_members_downscaled_stay_unmatched(
    service: tuple[HashDB, set[int]],
    pictures: symbols.SymbolSet,
    known_member: str,
    edit: str,
) -> None:
    db, _ = service
    for member in pictures.neighbours(known_member)[:6]:
        assert not _matched(db, pictures, member, edit, 1), member


def test_a_poster_is_not_compared_in_place_from_far(service: tuple[HashDB, set[int]]) -> None:
    # Downscaled to 30 %, the known poster's hash moves past the plain threshold; with
    # lines of small words of its own, it is not compared in place from there.
    db, known = service
    assert not known & _matched(db, POSTERS, "0", "downscale:30%", 0)
