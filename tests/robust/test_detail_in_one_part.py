"""A flag whose detail sits in one part (an emblem on plain stripes) aligns on keypoints
bunched round that part. Such a match is taken when the inliers spread over the box of the
reference's own keypoints, the upload shows all of that box, and the content agrees cell by
cell in grey and in colour, with nothing excused; a flag with another stripe, a missing word
or its colours washed out stays apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import HashDB
from hashdb.testing import robustness as data
from hashdb.testing import symbols
from tests.robust.conftest import known_database

_TEST = symbols.TEST
#: An emblem on three stripes; the known member of a worded flag.
EMBLEM = symbols.SymbolSet("flag", 1005, symbols.SPLITS["dev"])
WORDED = symbols.SymbolSet("flag", 10, _TEST)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, set[int]]]:
    yield from known_database(
        tmp_path_factory, "bunched", (EMBLEM.draw("40120"), WORDED.draw("01221"))
    )


@pytest.mark.parametrize(
    ("edit", "strength"), [("jpeg", "q50"), ("caption", "top15%"), ("crop-centre", "10%")]
)
def test_a_flag_with_its_emblem_in_one_part_matches(
    service: tuple[HashDB, set[int]], edit: str, strength: str
) -> None:
    db, known = service
    upload = data.transformed(EMBLEM.draw("40120").convert("RGB"), edit, strength, 5)
    assert known & {m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches}


@pytest.mark.parametrize(
    ("member", "edit", "strength"),
    [
        ("20120", "grayscale", "gray"),  # another first stripe, at a close grey once washed out
        ("30120", "grayscale", "gray"),
        ("20120", "none", ""),
        ("40220", "none", ""),  # another third stripe
        ("40110", "none", ""),  # another emblem
        ("40120", "none", "worded"),  # the worded flag without its word, captioned
    ],
)
def test_a_flag_that_differs_stays_apart(
    service: tuple[HashDB, set[int]], member: str, edit: str, strength: str
) -> None:
    db, _ = service
    if strength == "worded":
        upload = data.transformed(WORDED.draw("01220").convert("RGB"), "caption", "top15%", 5)
    elif edit == "none":
        upload = data.encode(EMBLEM.draw(member), 90)
    else:
        upload = data.transformed(EMBLEM.draw(member).convert("RGB"), edit, strength, 5)
    matches = db.matching.media(upload, principal=LOCAL_OPERATOR).matches
    assert not matches, [(m.entry_id, m.stage, m.variant) for m in matches]
