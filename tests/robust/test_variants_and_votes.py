"""The pieces added for the weak families: caption trimming with text reaching the margins'
neighbourhood, small pictures inside a screenshot, keypoint votes, and the keypoint stage
(a candidate PDQ cannot bring in) with its stricter gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import framing, geometric, keyindex, variants
from hashdb.media import decode_image
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data

ANALYST = EntryMetadata(label="known", note="votes test", added_by="analyst")


def _rgb(image: Image.Image) -> np.ndarray:
    return decode_image(data.encode(image, 90)).rgb_array


def test_caption_bar_with_wide_bold_text_is_trimmed() -> None:
    picture = data.photo(5, (480, 620))
    rng = np.random.default_rng(3)
    captioned = data.caption(picture, rng, 0.2, "bottom")
    bar = captioned.height - picture.height
    box = framing.trim_bars(_rgb(captioned))
    assert box is not None
    x0, y0, x1, y1 = box
    # The whole bar (text rows included) goes, the picture stays.
    assert abs(y1 - picture.height) <= 0.03 * captioned.height, (box, bar)
    assert y0 <= 0.02 * captioned.height
    assert x0 == 0 and x1 == captioned.width


def test_a_smooth_picture_edge_is_not_taken_for_a_caption() -> None:
    picture = data.photo(8, (480, 620))
    box = framing.trim_bars(_rgb(picture))
    assert box is None or (box[1] == 0 and box[3] >= 0.97 * picture.height)


def test_a_small_portrait_picture_in_a_wide_screenshot_is_a_region() -> None:
    picture = data.photo(9, (420, 600))
    shot = None
    for seed in range(40):  # a browser (not a phone) frame at half size
        rng = np.random.default_rng(seed)
        if rng.random() >= 0.5:
            shot = data.embed_screenshot(picture, np.random.default_rng(seed), 0.5)
            break
    assert shot is not None and shot.width > shot.height
    small = variants.reduce(_rgb(shot))
    boxes, _ = framing.picture_regions(small)
    scale = small.shape[1] / shot.width
    fit = min((shot.width - 40) / picture.width, (shot.height - 400) / picture.height) * 0.5
    expected_w, expected_h = picture.width * fit * scale, picture.height * fit * scale
    assert any(
        abs((x1 - x0) - expected_w) <= 4 and abs((y1 - y0) - expected_h) <= 4
        for x0, y0, x1, y1 in boxes
    ), boxes
    # Title and navigation bars are not pictures.
    assert all(x1 - x0 < 0.9 * small.shape[1] for x0, _, x1, _ in boxes)


def _keypoints(image: Image.Image) -> geometric.Keypoints:
    return geometric.keypoints(geometric.to_gray(_rgb(image), geometric.FEATURE_SIDE))


def _votes(
    index: keyindex.KeypointIndex, image: Image.Image, min_votes: int = 1
) -> list[tuple[int, int]]:
    found = _keypoints(image)
    return index.votes(found.descriptors, found.points, found.size, min_votes)


def test_keypoint_votes_rank_the_shown_picture_first() -> None:
    index = keyindex.KeypointIndex()
    pictures = {seed: data.photo(seed) for seed in range(20, 26)}
    for seed, picture in pictures.items():
        found = _keypoints(picture)
        index.add(seed, found.descriptors, found.points)
    target = pictures[23]
    cropped = target.crop((60, 40, 560, 420))
    captioned = data.caption(cropped, np.random.default_rng(1), 0.2, "top")
    votes = _votes(index, captioned)
    assert votes and votes[0][0] == 23
    assert votes[0][1] > 2 * max((count for entry, count in votes[1:]), default=1)
    index.remove([23])
    assert all(entry != 23 for entry, _ in _votes(index, captioned))
    assert keyindex.descriptor_keys(np.empty((0, 32), np.uint8)).shape == (0, keyindex.TABLES)


def test_keypoint_votes_need_one_geometry_not_just_shared_corners() -> None:
    """The same picture cut into tiles and shuffled keeps most of its corners (close
    descriptors), but no single transform maps them: it draws few fitted votes."""
    picture = data.poster(31)
    index = keyindex.KeypointIndex()
    found = _keypoints(picture)
    index.add(1, found.descriptors, found.points)
    width, height = picture.size
    side = 6
    tiles = [
        picture.crop(
            (
                x * width // side,
                y * height // side,
                (x + 1) * width // side,
                (y + 1) * height // side,
            )
        )
        for y in range(side)
        for x in range(side)
    ]
    order = np.random.default_rng(3).permutation(len(tiles))
    shuffled = Image.new("RGB", picture.size)
    for slot, tile_index in enumerate(order.tolist()):
        y, x = divmod(slot, side)
        shuffled.paste(
            tiles[tile_index].resize((width // side, height // side)),
            (x * width // side, y * height // side),
        )
    copy_votes = dict(_votes(index, picture.resize((width * 3 // 4, height * 3 // 4))))[1]
    shuffled_votes = dict(_votes(index, shuffled)).get(1, 0)
    assert copy_votes >= 60
    assert shuffled_votes < 12 <= copy_votes
    assert shuffled_votes < copy_votes / 4


@pytest.mark.xfail(
    strict=True,
    reason="the aligned-content check rejects it (docs/robustness.md: recall it costs)",
)
def test_keypoint_stage_finds_a_heavily_edited_logo_and_explains_it(tmp_path: Path) -> None:
    # Every PDQ variant of this upload is ~96 bits from the logo's rows: beyond the default
    # keypoint gate, so the stage is opened to every upload here.
    service = HashDB(
        Settings(db=str(tmp_path / "k.sqlite"), refresh_interval=0, robust_keypoint_gate=256)
    )
    try:
        logo = data.logo(1012)
        report = service.adding.media(
            "terror", data.encode(logo, 95), ANALYST, principal=LOCAL_OPERATOR
        )
        entry_id = next(a.entry_id for a in report.added if a.algorithm == "pdq")
        # Crop 20 % and a caption on a picture whose plain background defeats the trim.
        upload = data.transformed(logo, "combo", "crop20+caption+q40", seed=12)
        found = {
            m.entry_id: m for m in service.matching.media(upload, principal=LOCAL_OPERATOR).matches
        }
        assert entry_id in found
        match = found[entry_id]
        assert match.stage == "geometric"
        assert match.verification is not None and match.verification["inliers"] >= 14
        # No PDQ radius let it in: the threshold says so, the gate was the stricter one.
        assert match.variant.endswith(">keypoints"), match.variant
        assert match.threshold == 256
        assert match.verification["agreement"] >= 0.85
        # Without the keypoint stage and with a tight radius, the same upload is missed:
        # the stage is what finds it.
        strict = HashDB(
            Settings(
                db=str(tmp_path / "k.sqlite"),
                refresh_interval=0,
                robust_candidate_distance=40,
                robust_keypoint_votes=0,
            )
        )
        # With the default gate the stage is skipped for it (the cost most unrelated
        # uploads are spared): the gate is what decides, not the votes.
        gated = HashDB(Settings(db=str(tmp_path / "k.sqlite"), refresh_interval=0))
        try:
            assert entry_id not in {
                m.entry_id for m in strict.matching.media(upload, principal=LOCAL_OPERATOR).matches
            }
            assert entry_id not in {
                m.entry_id for m in gated.matching.media(upload, principal=LOCAL_OPERATOR).matches
            }
            assert gated.pipeline.robust.policy.keypoint_gate < 96
        finally:
            gated.close()
            strict.close()
    finally:
        service.close()


def test_keypoint_stage_keeps_other_pictures_in_one_template_apart(tmp_path: Path) -> None:
    service = HashDB(Settings(db=str(tmp_path / "t.sqlite"), refresh_interval=0))
    try:
        for seed in range(4):
            service.adding.media(
                "terror",
                data.encode(data.poster(300 + seed, template=5)),
                ANALYST,
                principal=LOCAL_OPERATOR,
            )
            service.adding.media(
                "terror",
                data.encode(data.screenshot(400 + seed, layout=6)),
                ANALYST,
                principal=LOCAL_OPERATOR,
            )
        rng = np.random.default_rng(2)
        for seed in range(4, 10):
            poster = data.poster(300 + seed, template=5)
            screenshot = data.screenshot(400 + seed, layout=6)
            cropped = data.caption(
                poster.crop((0, 0, poster.width, poster.height * 4 // 5)), rng, 0.2, "top"
            )
            for upload in (data.encode(cropped, 50), data.encode(screenshot, 60)):
                assert service.matching.media(upload, principal=LOCAL_OPERATOR).matches == []
    finally:
        service.close()


def test_a_shared_word_alone_does_not_confirm_two_logos() -> None:
    reference = data.logo(31)
    other = data.logo(32)
    # The other logo with the reference's word strip pasted in: keypoints agree only there.
    strip = reference.crop((0, reference.height - 120, reference.width, reference.height))
    other.paste(strip, (0, other.height - 120))
    features = geometric.reference_features(_rgb(reference))

    def verdict(image: Image.Image) -> geometric.Verdict:
        gray = geometric.to_gray(_rgb(image), geometric.FEATURE_SIDE)
        return geometric.verify(features, geometric.keypoints(gray), gray)

    assert verdict(data.caption(reference, np.random.default_rng(4), 0.2, "top")).confirmed
    rejected = verdict(other)
    assert not rejected.confirmed, rejected


def test_tiles_a_slight_crop_leaves_partly_uncovered_still_agree() -> None:
    """A 5% centre crop covers most of the reference's border tiles: compared on the
    pixels the crop covers, they agree (compared whole, the empty strip made them differ
    and the crop was rejected)."""
    known = data.knowns(2)[1]  # a poster: text and edges right up to the border tiles
    picture = known.image()
    reference = geometric.reference_features(_rgb(picture))
    upload = decode_image(data.transformed(picture, "crop-centre", "5%", 1)).rgb_array
    gray = geometric.to_gray(upload, geometric.FEATURE_SIDE)
    verdict = geometric.verify(reference, geometric.keypoints(gray), gray)
    assert verdict.confirmed, verdict
    assert verdict.tiles >= 10 and verdict.agreement >= 0.9


@pytest.mark.parametrize(
    ("index", "strength"),
    [
        (24, "50%"),
        (29, "65%"),
    ],
)
def test_a_dark_picture_small_in_a_light_screenshot_is_found_by_its_region(
    tmp_path: Path, index: int, strength: str
) -> None:
    """The region's box takes in a strip of the bright frame and the picture is small:
    stretched by its interior and enlarged before ORB, the region confirms the match."""
    known = data.knowns(index + 1)[index]
    assert known.kind == "dark"
    picture = known.image()
    service = HashDB(Settings(db=str(tmp_path / "s.sqlite"), refresh_interval=0))
    try:
        service.adding.media("terror", data.encode(picture, 95), ANALYST, principal=LOCAL_OPERATOR)
        upload = data.transformed(picture, "screenshot", strength, index)
        matches = service.matching.media(upload, principal=LOCAL_OPERATOR).matches
        assert any(m.stage == "geometric" and m.variant.startswith("region") for m in matches), [
            (m.stage, m.variant) for m in matches
        ]
    finally:
        service.close()
