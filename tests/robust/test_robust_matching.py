"""Robust matching through the default path (``HashDB.match_bytes``): every edit family on
generated images matches; hard negatives and flat images do not; matches say how."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.match import Match
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data
from hashdb.testing.images import encode

ANALYST = EntryMetadata(label="known", note="robust test", added_by="analyst")
#: The known pictures, by kind: (kind, seed).
KNOWN = {"photo": 11, "poster": 12, "logo": 13, "screenshot": 14, "dark": 15}


@pytest.fixture(scope="module")
def known_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[HashDB, dict[str, int]]]:
    """One database with one known picture of each kind; kind -> its anchor entry id."""
    path: Path = tmp_path_factory.mktemp("robust") / "hashdb.sqlite"
    service = HashDB(Settings(db=str(path), refresh_interval=0))
    anchors: dict[str, int] = {}
    for kind in KNOWN:
        report = service.adding.media(
            "terror", data.encode(known_image(kind), 95), ANALYST, principal=LOCAL_OPERATOR
        )
        by_algorithm = {added.algorithm: added.entry_id for added in report.added}
        anchors[kind] = by_algorithm.get("pdq", by_algorithm["sha256"])
    yield service, anchors
    service.close()


def known_image(kind: str) -> Image.Image:
    return data.draw_kind(kind, KNOWN[kind])


#: Edits of these pictures that the aligned-content check rejects (recall the check costs;
#: docs/robustness.md): strict, so the day one is found this set must shrink. A small logo
#: in a screenshot (50 %) was one until the alignment was refined on the pixels.
CONTENT_CHECK_MISSES: set[tuple[str, str, str]] = set()


def _expect_miss(request: pytest.FixtureRequest, family: str, strength: str, kind: str) -> None:
    if (family, strength, kind) in CONTENT_CHECK_MISSES:
        request.applymarker(pytest.mark.xfail(strict=True, reason="rejected by content check"))


def matched_entries(service: HashDB, upload: bytes) -> dict[int, Match]:
    return {
        match.entry_id: match
        for match in service.matching.media(upload, principal=LOCAL_OPERATOR).matches
    }


@pytest.mark.parametrize(
    ("family", "strength"),
    [(family.name, family.strengths[len(family.strengths) // 2]) for family in data.FAMILIES],
)
def test_every_edit_family_matches_a_photo(
    known_service: tuple[HashDB, dict[str, int]],
    family: str,
    strength: str,
    request: pytest.FixtureRequest,
) -> None:
    _expect_miss(request, family, strength, "photo")
    service, anchors = known_service
    upload = data.transformed(known_image("photo"), family, strength, seed=7)
    found = matched_entries(service, upload)
    assert anchors["photo"] in found, f"{family}/{strength} missed"
    assert not {anchors[k] for k in anchors if k != "photo"} & set(found)


@pytest.mark.parametrize("kind", sorted(KNOWN))
@pytest.mark.parametrize(
    ("family", "strength"),
    [
        ("crop-corner", "15%"),
        ("caption", "top15%"),
        ("mirror", "horizontal"),
        ("screenshot", "65%"),
        # A slight crop leaves tiles on the border of the reference partly uncovered.
        ("crop-centre", "5%"),
        # A small picture (a dark one too) inside a light browser frame.
        ("screenshot", "50%"),
    ],
)
def test_hard_edits_match_every_kind_of_picture(
    known_service: tuple[HashDB, dict[str, int]],
    kind: str,
    family: str,
    strength: str,
    request: pytest.FixtureRequest,
) -> None:
    _expect_miss(request, family, strength, kind)
    service, anchors = known_service
    upload = data.transformed(known_image(kind), family, strength, seed=3)
    found = matched_entries(service, upload)
    assert anchors[kind] in found, f"{kind}: {family}/{strength} missed"
    others = {anchors[k] for k in anchors if k != kind}
    assert not others & set(found)


def test_hard_negatives_same_template_and_layout_stay_unmatched(tmp_path: Path) -> None:
    service = HashDB(Settings(db=str(tmp_path / "h.sqlite"), refresh_interval=0))
    try:
        for seed in range(3):
            service.adding.media(
                "terror",
                data.encode(data.poster(100 + seed, template=7)),
                ANALYST,
                principal=LOCAL_OPERATOR,
            )
            service.adding.media(
                "terror",
                data.encode(data.screenshot(200 + seed, layout=9)),
                ANALYST,
                principal=LOCAL_OPERATOR,
            )
        rng = np.random.default_rng(0)
        uploads = []
        for seed in range(3, 9):
            poster = data.poster(100 + seed, template=7)
            screenshot = data.screenshot(200 + seed, layout=9)
            uploads += [data.encode(poster), data.encode(screenshot)]
            uploads.append(data.encode(data.caption(poster, rng, 0.15, "top"), 60))
            uploads.append(data.encode(ImageOps.mirror(screenshot), 60))
        for upload in uploads:
            assert service.matching.media(upload, principal=LOCAL_OPERATOR).matches == []
    finally:
        service.close()


def test_flat_images_never_match_on_hash_alone(tmp_path: Path) -> None:
    service = HashDB(Settings(db=str(tmp_path / "f.sqlite"), refresh_interval=0))
    try:
        flat = Image.new("RGB", (400, 300), (120, 120, 120))
        forced = service.adding.media(
            "terror", data.encode(flat, 95), ANALYST, force=True, principal=LOCAL_OPERATOR
        )
        assert any(added.algorithm == "pdq" for added in forced.added)
        # The same blank picture re-encoded: its PDQ hash equals the forced flat entry's,
        # yet it must not match on that hash alone.
        upload = encode(flat, "PNG")
        digests = service.media.hash_bytes(upload).digests
        pdq = next(d for d in digests if d.algorithm == "pdq")
        assert pdq.quality is not None and pdq.quality < service.settings.robust_min_query_quality
        assert (
            service.matching.digests([pdq], principal=LOCAL_OPERATOR).matches != []
        )  # the hash alone would match ...
        assert (
            service.matching.media(upload, principal=LOCAL_OPERATOR).matches == []
        )  # ... the default path does not
        # The exact same bytes still match exactly.
        exact = service.matching.media(data.encode(flat, 95), principal=LOCAL_OPERATOR).matches
        assert exact and {m.algorithm for m in exact} <= {"md5", "sha256"}
    finally:
        service.close()


def test_explanations_say_which_stage_and_variant(
    known_service: tuple[HashDB, dict[str, int]],
) -> None:
    service, anchors = known_service
    plain = service.matching.media(
        data.encode(known_image("photo"), 70), principal=LOCAL_OPERATOR
    ).matches
    first = next(m for m in plain if m.entry_id == anchors["photo"])
    assert (first.stage, first.variant) == ("hash", "original")
    body = first.to_dict()
    assert body["stage"] == "hash" and body["variant"] == "original"
    assert body["verification"] is None

    mirrored = data.encode(ImageOps.mirror(known_image("photo")), 80)
    match = next(
        m
        for m in service.matching.media(mirrored, principal=LOCAL_OPERATOR).matches
        if m.entry_id == anchors["photo"]
    )
    body = match.to_dict()
    assert body["stage"] == "geometric"
    assert body["variant"].startswith("mirror-h>")
    assert body["verification"]["inliers"] >= 14
    assert body["verification"]["agreement"] >= 0.7
    for key in ("list", "entry_id", "algorithm", "distance", "threshold", "label", "added_by"):
        assert key in body


def test_raw_partner_hashes_degrade_to_hash_matching(tmp_path: Path) -> None:
    service = HashDB(Settings(db=str(tmp_path / "r.sqlite"), refresh_interval=0))
    try:
        picture = known_image("photo")
        pdq = next(
            d
            for d in service.media.hash_bytes(data.encode(picture, 95)).digests
            if d.algorithm == "pdq"
        )
        added = service.adding.hex("partner", "pdq", [pdq.hex], ANALYST, principal=LOCAL_OPERATOR)
        entry_id = added.added[0].entry_id
        assert service.store.reference_features([entry_id]) == {}
        # A mirror is found by the query-side dihedral hashes, on hash alone.
        found = service.matching.media(
            data.encode(ImageOps.mirror(picture), 85), principal=LOCAL_OPERATOR
        ).matches
        match = next(m for m in found if m.entry_id == entry_id)
        assert (match.stage, match.variant) == ("hash", "mirror-h")
        assert match.distance <= service.settings.robust_hash_only_distance
        # A heavy crop needs keypoints the raw hash does not have: no match, no error.
        cropped = data.transformed(picture, "crop-corner", "25%", seed=1)
        assert all(
            m.entry_id != entry_id
            for m in service.matching.media(cropped, principal=LOCAL_OPERATOR).matches
        )
    finally:
        service.close()


def test_plain_mode_and_retirement(tmp_path: Path) -> None:
    path = str(tmp_path / "p.sqlite")
    service = HashDB(Settings(db=path, refresh_interval=0))
    plain = HashDB(Settings(db=path, refresh_interval=0, robust_matching=False))
    try:
        picture = known_image("poster")
        report = service.adding.media(
            "terror", data.encode(picture, 95), ANALYST, principal=LOCAL_OPERATOR
        )
        entry_id = next(a.entry_id for a in report.added if a.algorithm == "pdq")
        upload = data.transformed(picture, "screenshot", "65%", seed=2)
        assert [
            m.entry_id for m in service.matching.media(upload, principal=LOCAL_OPERATOR).matches
        ] == [entry_id]
        assert plain.matching.media(upload, principal=LOCAL_OPERATOR).matches == []
        service.entries.retire(
            entry_id, "false positive review", "reviewer", principal=LOCAL_OPERATOR
        )
        assert service.matching.media(upload, principal=LOCAL_OPERATOR).matches == []
    finally:
        service.close()
        plain.close()
