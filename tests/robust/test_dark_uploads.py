"""A dark picture has little detail by PDQ's quality measure, which counts gradients in grey
levels: its own hashes are judged as candidates with its levels stretched, as the
reference rows were made, so a cropped copy is found; another dark picture is not."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hashdb.hashing.pdq import dihedral_hashes
from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import noise, variants
from hashdb.media import decode_image
from hashdb.service import EntryMetadata
from hashdb.testing import robustness as data
from hashdb.testing.robustness import pictures
from hashdb.testing.robustness.edits import _crop
from tests.robust.conftest import known_pictures

#: Dark scenes whose top-left 75 % (a quarter cut off two sides) has a PDQ quality under the
#: candidate floor as it is, and above it once stretched.
SEEDS = (9011, 9012)


def test_a_dark_picture_cropped_at_a_corner_is_found(tmp_path: Path) -> None:
    originals = [pictures.photo(seed, dark=True) for seed in SEEDS]
    db, known = known_pictures(tmp_path / "dark.sqlite", originals)
    try:
        for seed, picture in zip(SEEDS, originals, strict=True):
            upload = data.encode(_crop(picture, 0.25, "tl"), 85)
            image = decode_image(upload)
            assert dihedral_hashes(image)[1] < 10 <= variants.levelled_quality(image), seed
            found = {
                m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches
            }
            assert found & known, seed
    finally:
        db.close()


def test_another_dark_picture_cropped_the_same_way_is_not(tmp_path: Path) -> None:
    db, _ = known_pictures(
        tmp_path / "dark.sqlite", [pictures.photo(seed, dark=True) for seed in SEEDS]
    )
    try:
        for seed in range(9100, 9116):
            other = data.encode(_crop(pictures.photo(seed, dark=True), 0.25, "tl"), 85)
            assert not db.matching.media(other, principal=LOCAL_OPERATOR).matches, seed
    finally:
        db.close()


#: Dark scenes whose copy re-encoded at quality 20 has a PDQ quality of 23-32 (under the 50 a
#: plain match needs) and 100 once stretched, and too few keypoints to align.
REENCODED = (9034, 9072, 9098)


def _reencoded(seed: int) -> bytes:
    return data.transformed(pictures.photo(seed, dark=True), "jpeg", "q20", seed)


def test_a_dark_picture_re_encoded_is_compared_as_its_levels_stretched_show_it(
    tmp_path: Path,
) -> None:
    db, known = known_pictures(
        tmp_path / "dark.sqlite", [pictures.photo(seed, dark=True) for seed in REENCODED]
    )
    try:
        for seed in REENCODED:
            upload = _reencoded(seed)
            image = decode_image(upload)
            assert dihedral_hashes(image)[1] < 50 <= variants.levelled_quality(image), seed
            found = {
                m.entry_id for m in db.matching.media(upload, principal=LOCAL_OPERATOR).matches
            }
            assert found & known, seed
        for seed in range(9100, 9116):
            other = _reencoded(seed)
            assert not db.matching.media(other, principal=LOCAL_OPERATOR).matches, seed
    finally:
        db.close()


def test_a_raw_hash_still_needs_the_uploads_own_detail(tmp_path: Path) -> None:
    # With no picture to compare, the dark upload's hash alone is all there is.
    db, _ = known_pictures(tmp_path / "dark.sqlite", [])
    try:
        for seed in REENCODED:
            own = dihedral_hashes(decode_image(data.encode(pictures.photo(seed, dark=True), 95)))
            db.adding.hex(
                "shared",
                "pdq",
                [own[0][0].hex()],
                EntryMetadata(label="partner", added_by="analyst"),
                force=True,
                principal=LOCAL_OPERATOR,
            )
            assert not db.matching.media(_reencoded(seed), principal=LOCAL_OPERATOR).matches
    finally:
        db.close()


#: Dark scenes whose copy with noise of deviation 20 is found only once compared blurred as
#: much as the noise asks.
NOISY = (9013, 9014, 9015, 9017)


def _noisy(seed: int) -> bytes:
    return data.transformed(pictures.photo(seed, dark=True), "noise", "s20", seed)


def test_a_noisy_dark_picture_is_compared_blurred_as_its_noise_asks(tmp_path: Path) -> None:
    db, known = known_pictures(
        tmp_path / "dark.sqlite", [pictures.photo(seed, dark=True) for seed in NOISY]
    )
    try:
        for seed in NOISY:
            found = {
                m.entry_id
                for m in db.matching.media(_noisy(seed), principal=LOCAL_OPERATOR).matches
            }
            assert found & known, seed
        for seed in range(9100, 9116):
            assert not db.matching.media(_noisy(seed), principal=LOCAL_OPERATOR).matches, seed
    finally:
        db.close()


def test_the_blur_grows_with_the_uploads_noise_not_the_references() -> None:
    rng = np.random.default_rng(3)
    scene = np.zeros((256, 256), np.float32)
    scene[64:192, 64:192] = 200.0
    inside = np.ones(scene.shape, bool)
    noisy = scene + rng.normal(0, 30, scene.shape).astype(np.float32)
    assert noise.blur_for(scene, scene, inside, 1.0) == 1.0
    assert noise.blur_for(scene, scene + rng.normal(0, 2, scene.shape), inside, 1.0) == 1.0
    noisier = scene + rng.normal(0, 60, scene.shape).astype(np.float32)
    assert (
        1.5
        < noise.blur_for(scene, noisy, inside, 1.0)
        < noise.blur_for(scene, noisier, inside, 1.0)
    )
    snow = scene + rng.normal(0, 240, scene.shape).astype(np.float32)
    assert noise.blur_for(scene, snow, inside, 1.0) == 4.0  # at most
    # A reference as noisy as the upload: its own grain, compared as it is.
    assert noise.blur_for(noisy, noisy + rng.normal(0, 5, scene.shape), inside, 1.0) == 1.0
