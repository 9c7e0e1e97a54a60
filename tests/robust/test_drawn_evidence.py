"""A geometric match says where the known picture lies on the upload, so a person can check it
by eye: the reference's outline (region), the fitted transform and a sample of inlier pairs,
in fractions of the upload and of the reference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.match import Match, Stage
from hashdb.matching.robust.placement import MAX_LINES
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data

CANVAS = (1280, 860)
#: Where the known picture is pasted, in canvas pixels (left, top) and its shown width.
LEFT, TOP, SHOWN_WIDTH = 400, 220, 480


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HashDB, Image.Image, int]]:
    path: Path = tmp_path_factory.mktemp("drawn") / "hashdb.sqlite"
    service = HashDB(Settings(db=str(path), refresh_interval=0))
    picture = data.poster(21)
    report = service.adding.media(
        "terror", data.encode(picture, 95), EntryMetadata(label="k"), principal=LOCAL_OPERATOR
    )
    entry_id = next(added.entry_id for added in report.added if added.algorithm == "pdq")
    yield service, picture, entry_id
    service.close()


def _geometric(service: HashDB, upload: bytes, entry_id: int) -> Match:
    found = [
        m
        for m in service.matching.media(upload, principal=LOCAL_OPERATOR).matches
        if m.entry_id == entry_id
    ]
    assert found and found[0].stage is Stage.GEOMETRIC, found
    assert found[0].verification is not None
    return found[0]


def _embedded(picture: Image.Image) -> tuple[bytes, tuple[float, float, float, float]]:
    """The picture shown small on a plain page; its box in fractions of the page."""
    scale = SHOWN_WIDTH / picture.width
    shown = picture.resize((SHOWN_WIDTH, round(picture.height * scale)), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", CANVAS, (248, 248, 248))
    canvas.paste(shown, (LEFT, TOP))
    width, height = CANVAS
    box = (
        LEFT / width,
        TOP / height,
        (LEFT + shown.width) / width,
        (TOP + shown.height) / height,
    )
    return data.encode(canvas, 90), box


def test_a_picture_in_a_page_is_outlined_where_it_is(
    known: tuple[HashDB, Image.Image, int],
) -> None:
    service, picture, entry_id = known
    upload, (x0, y0, x1, y1) = _embedded(picture)
    evidence = _geometric(service, upload, entry_id).verification
    assert evidence is not None
    region = np.array(evidence["region"], dtype=float)
    expected = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    assert np.abs(region - expected).max() < 0.02, region
    lines = np.array(evidence["lines"], dtype=float)
    assert 14 <= len(lines) <= MAX_LINES
    # Each inlier's upload end lies in the picture's box, its reference end in the reference.
    assert (lines[:, 0] >= x0 - 0.01).all() and (lines[:, 0] <= x1 + 0.01).all()
    assert (lines[:, 1] >= y0 - 0.01).all() and (lines[:, 1] <= y1 + 0.01).all()
    assert (lines[:, 2:] >= 0).all() and (lines[:, 2:] <= 1).all()
    # The transform takes each reference end to its upload end.
    a, b, c, d, e, f = evidence["transform"]  # type: ignore[misc]
    mapped = np.stack(
        [a * lines[:, 2] + b * lines[:, 3] + c, d * lines[:, 2] + e * lines[:, 3] + f], axis=1
    )
    assert np.abs(mapped - lines[:, :2]).max() < 0.02
    width, height = evidence["reference_size"]  # type: ignore[misc]
    assert abs(width / height - picture.width / picture.height) < 0.02


def test_a_mirrored_copy_maps_left_to_right(known: tuple[HashDB, Image.Image, int]) -> None:
    service, picture, entry_id = known
    upload = data.encode(ImageOps.mirror(picture), 85)
    evidence = _geometric(service, upload, entry_id).verification
    assert evidence is not None
    a, _, c, _, e, _ = evidence["transform"]  # type: ignore[misc]
    assert a == pytest.approx(-1, abs=0.05) and c == pytest.approx(1, abs=0.05)
    assert e == pytest.approx(1, abs=0.05)
    top_left = evidence["region"][0]  # type: ignore[index]
    assert top_left == pytest.approx([1, 0], abs=0.03)
