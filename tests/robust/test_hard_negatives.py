"""Pictures that share a shape but not the content stay apart: glyph pairs of one font (a
bar, two dots, a tail, a letter that is another turned), faces that differ in the mouth or
the eyes, flags that differ by one stripe or emblem, posters in one template with other
words; in the styles and fonts the thresholds were tuned on and in the held-out ones. Each
pair is tried unedited and under the edits that gave the geometric stage its chances
(mirror, quarter and half turns, centre and corner crops, a caption, crop + caption, a
screenshot, a logo in a corner), and the known picture itself still matches unedited,
re-encoded, mirrored and turned, so a check that rejected everything would fail here too."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.match import Match
from hashdb.matching.robust import content, geometric
from hashdb.media import decode_image
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data
from hashdb.testing import symbols

ANALYST = EntryMetadata(label="known", note="hard negatives", added_by="analyst")
_TEST = symbols.TEST
#: (name, known picture, other picture): one pair of each kind.
PAIRS: dict[str, tuple[symbols.SymbolSet, str, str]] = {
    "outlined E/F": (symbols.SymbolSet("glyph", 3, _TEST, outline=True), "E", "F"),
    "filled B/P": (symbols.SymbolSet("glyph", 4, _TEST, outline=False), "B", "P"),
    "u/ü": (symbols.SymbolSet("glyph", 5, _TEST, outline=False), "u", "ü"),
    "n/ñ": (symbols.SymbolSet("glyph", 6, _TEST, outline=True), "n", "ñ"),
    "j/J": (symbols.SymbolSet("glyph", 7, _TEST, outline=False), "j", "J"),
    "face: smile/open mouth": (symbols.SymbolSet("face", 8, _TEST), "0000", "0300"),
    "flag: one stripe": (symbols.SymbolSet("flag", 9, _TEST), "01210", "01410"),
    "flag: emblem": (symbols.SymbolSet("flag", 10, _TEST), "01220", "01200"),
    # Its first stripe in another colour at nearly the same grey (112 against 110).
    "flag: same-grey stripe": (symbols.SymbolSet("flag", 18, _TEST), "12421", "32421"),
    "poster: other words": (symbols.SymbolSet("text-poster", 11, _TEST), "1", "2"),
    "q/h (q turned is not h)": (symbols.SymbolSet("glyph", 12, _TEST, outline=False), "q", "h"),
    "U/Ü": (symbols.SymbolSet("glyph", 13, _TEST, outline=True), "U", "Ü"),
    "ñ/h": (symbols.SymbolSet("glyph", 14, _TEST, outline=False), "ñ", "h"),
    "face: other eyes": (symbols.SymbolSet("face", 15, _TEST), "0000", "1000"),
    "held-out E/F": (symbols.SymbolSet("glyph", 19, symbols.TEST_HELD_OUT, outline=True), "E", "F"),
    "held-out face: mouth": (symbols.SymbolSet("face", 16, symbols.TEST_HELD_OUT), "0000", "0300"),
    "held-out flag: one stripe": (
        symbols.SymbolSet("flag", 17, symbols.TEST_HELD_OUT),
        "01210",
        "01410",
    ),
    "held-out poster: other words": (
        symbols.SymbolSet("text-poster", 18, symbols.TEST_HELD_OUT),
        "1",
        "2",
    ),
    "second-style face: eyes": (
        symbols.SymbolSet("face", 20, symbols.TEST_SECOND_STYLE),
        "0000",
        "2000",
    ),
    "second-style flag: cross's edge": (
        symbols.SymbolSet("flag", 21, symbols.TEST_SECOND_STYLE),
        "01210",
        "01310",
    ),
    "second-style poster: other words": (
        symbols.SymbolSet("text-poster", 22, symbols.TEST_SECOND_STYLE),
        "1",
        "2",
    ),
}
EDITS = (
    ("none", ""),
    ("mirror", "horizontal"),
    ("rotate-90", "90"),
    ("rotate-90", "180"),
    ("crop-centre", "10%"),
    ("crop-corner", "10%"),
    ("caption", "top15%"),
    ("combo", "crop10+caption+q40"),
    ("screenshot", "80%"),
    ("saturation-hue", "hue-40"),
    ("text-overlay", "small"),
    ("text-overlay", "large"),
    ("brightness-contrast", "contrast150%"),
    ("grayscale", "gray"),
    # Blurred or noisy, the upload is compared with both pictures blurred as much as it.
    ("blur", "r3"),
    ("noise", "s20"),
    # A logo in a corner: the window of the opposite corner may find the known picture,
    # and hides a part of the upload that may be all that tells the two apart.
    ("logo-corner", "10%"),
    ("logo-corner", "20%"),
)
#: Edits every known picture of a pair must still be found under.
KEPT_UNDER = (
    ("none", ""),
    ("jpeg", "q50"),
    ("mirror", "horizontal"),
    ("rotate-90", "90"),
    ("rotate-90", "180"),
)
#: Known pictures not found yet under an edit (a recall gap, not a false flag): strict, so
#: the day they are found this list must shrink.
NOT_FOUND_YET: set[tuple[str, str, str]] = set()
#: Known pictures symmetric but for a detail (the stem of an n or a u, the dot and tail of a
#: j), mirrored: another picture in all but a few cells, as a mirrored À is an Á,
#: so refused by design (:mod:`hashdb.matching.robust.symmetry`), and tested as refused.
SIBLINGS_WHEN_MIRRORED = {
    ("j/J", "mirror", "horizontal"),
    ("n/ñ", "mirror", "horizontal"),
    ("u/ü", "mirror", "horizontal"),
    ("ñ/h", "mirror", "horizontal"),
}
#: Other pictures still matched under an edit (a false match, not yet fixed): strict, so
#: the day they stay apart this list must shrink. The held-out flag's other stripe, turned
#: in hue by 40, and the same-grey stripe unedited, differ only in colour: they stay apart
#: by the colour check of the cells that agree in grey. Blurred with a radius of 3, a face's
#: small pale eyes drawn as crosses on a pale face are the blur of its round eyes: the
#: plain hash (20 bits) and every cell agree.
MATCHED_YET: set[tuple[str, str, str]] = {("second-style face: eyes", "blur", "r3")}
#: Uploads that are the known picture itself, pixel for pixel: the two flags differ only
#: in the hue of a stripe at the same grey, so their grayscale copies are one picture.
THE_SAME_PICTURE = {("flag: same-grey stripe", "grayscale", "gray")}


def _cases(
    edits: Sequence[tuple[str, str]], known_gaps: set[tuple[str, str, str]], reason: str
) -> list[object]:
    """Every pair under every edit; the known gaps marked as strict expected failures."""
    return [
        pytest.param(
            pair,
            edit,
            strength,
            marks=pytest.mark.xfail(strict=True, reason=reason)
            if (pair, edit, strength) in known_gaps
            else (),
            id=f"{pair}-{edit}-{strength}",
        )
        for pair in sorted(PAIRS)
        for edit, strength in edits
    ]


def _negative_cases() -> list[object]:
    return [
        case
        for case in _cases(EDITS, MATCHED_YET, "false match: not fixed yet")
        if tuple(case.values) not in THE_SAME_PICTURE  # type: ignore[attr-defined]
    ]


def _kept_cases() -> list[object]:
    return [
        case
        for case in _cases(KEPT_UNDER, NOT_FOUND_YET, "recall gap: not found yet")
        if tuple(case.values) not in SIBLINGS_WHEN_MIRRORED  # type: ignore[attr-defined]
    ]


def _upload(picture: Image.Image, edit: str, strength: str) -> bytes:
    if edit == "none":
        return data.encode(picture, 90)
    return data.transformed(picture, edit, strength, seed=5)


def _matches(db: HashDB, picture: Image.Image, edit: str, strength: str) -> list[Match]:
    """What ``picture``, edited so, matches."""
    return db.matching.media(_upload(picture, edit, strength), principal=LOCAL_OPERATOR).matches


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, dict[str, int]]]:
    """One database holding the known picture of every pair; pair -> its entry id."""
    path: Path = tmp_path_factory.mktemp("hard") / "hashdb.sqlite"
    db = HashDB(Settings(db=str(path), refresh_interval=0))
    anchors: dict[str, int] = {}
    for name, (chosen, known, _) in PAIRS.items():
        report = db.adding.media(
            "terror", data.encode(chosen.draw(known), 95), ANALYST, principal=LOCAL_OPERATOR
        )
        by_algorithm = {added.algorithm: added.entry_id for added in report.added}
        # A picture too flat for PDQ (plain stripes) is kept by its digests alone.
        anchors[name] = by_algorithm.get("pdq", -1)
    yield db, anchors
    db.close()


@pytest.mark.slow
@pytest.mark.parametrize(("pair", "edit", "strength"), _negative_cases())
def test_the_other_picture_of_a_pair_stays_unmatched(
    service: tuple[HashDB, dict[str, int]], pair: str, edit: str, strength: str
) -> None:
    chosen, _, other = PAIRS[pair]
    matches = _matches(service[0], chosen.draw(other), edit, strength)
    assert not matches, [(m.entry_id, m.stage, m.variant, m.verification) for m in matches]


@pytest.mark.slow
@pytest.mark.parametrize(("pair", "edit", "strength"), _kept_cases())
def test_the_known_picture_of_a_pair_still_matches(
    service: tuple[HashDB, dict[str, int]], pair: str, edit: str, strength: str
) -> None:
    db, anchors = service
    if anchors[pair] < 0:
        pytest.skip("too flat for perceptual matching: only its exact bytes match")
    chosen, known, _ = PAIRS[pair]
    matches = _matches(db, chosen.draw(known), edit, strength)
    assert anchors[pair] in {m.entry_id for m in matches}


@pytest.mark.slow
@pytest.mark.parametrize(("pair", "edit", "strength"), sorted(SIBLINGS_WHEN_MIRRORED))
def test_a_known_picture_symmetric_but_for_a_detail_is_refused_mirrored(
    service: tuple[HashDB, dict[str, int]], pair: str, edit: str, strength: str
) -> None:
    db, anchors = service
    chosen, known, _ = PAIRS[pair]
    matches = _matches(db, chosen.draw(known), edit, strength)
    assert anchors[pair] not in {m.entry_id for m in matches}


def _gray(image: Image.Image) -> np.ndarray:
    return geometric.to_gray(decode_image(data.encode(image, 92)).rgb_array, 256)


def test_content_of_one_picture_agrees_under_tone_edits_and_differs_by_one_bar() -> None:
    chosen = symbols.SymbolSet("glyph", 3, _TEST, outline=True)
    reference = _gray(chosen.draw("E"))
    covered = np.ones(reference.shape, bool)
    brighter = np.clip(reference.astype(np.float32) * 0.6 + 70, 0, 255)
    assert content.compare(reference, brighter, covered).agrees
    other = _gray(chosen.draw("F")).astype(np.float32)
    found = content.compare(reference, other, covered)
    assert not found.agrees and found.differing >= 2, found


def test_thumbnails_are_stored_compressed_and_raw_ones_still_read() -> None:
    picture = np.asarray(symbols.SymbolSet("glyph", 3, _TEST).draw("E"))
    features = geometric.reference_features(picture)
    _, thumb = geometric.unpack(features)
    assert thumb.shape == (features.thumb_height, features.thumb_width)
    assert len(features.thumbnail) < thumb.size // 4  # a flat glyph compresses well
    raw = dataclasses.replace(features, thumbnail=thumb.tobytes())
    assert np.array_equal(geometric.unpack(raw)[1], thumb)
