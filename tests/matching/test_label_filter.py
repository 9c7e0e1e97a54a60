"""A label filter keeps every stage's matches of labelled entries, and drops the others.

Every stage builds its matches with the one constructor, so a match carries its entry's
labels whichever stage found it: plain hashes, the geometric check, a video against a known
video, a still against a known video's frames, a video showing a known image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PIL import Image, ImageOps

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.evidence import Direction
from hashdb.matching.match import Match, Stage
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness
from hashdb.testing.images import encode, scene
from hashdb.testing.videos import Slideshow, mp4, window

CLIP = Slideshow(5, size=(320, 180), fps=15, slides=4, slide_seconds=2.0)
POSTER = scene(78, (640, 360))
PHOTO = robustness.draw_kind("photo", 21)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HashDB]:
    db = tmp_path_factory.mktemp("labels") / "hashdb.sqlite"
    hashdb = HashDB(Settings(db=str(db), refresh_interval=0))
    hashdb.labels.add_terms("type", ["logo", "execution"], principal=LOCAL_OPERATOR)
    labelled = EntryMetadata(labels=("type:logo",))
    hashdb.adding.media("terror", mp4(CLIP.frames(), CLIP.fps), labelled, principal=LOCAL_OPERATOR)
    hashdb.adding.media("terror", encode(POSTER, "PNG"), labelled, principal=LOCAL_OPERATOR)
    hashdb.adding.media("terror", robustness.encode(PHOTO, 95), labelled, principal=LOCAL_OPERATOR)
    yield hashdb
    hashdb.close()


def _poster_in_a_clip() -> bytes:
    unrelated = Slideshow(92, size=(320, 180), slides=2, slide_seconds=2.0)
    poster = np.asarray(POSTER.resize((320, 180)))
    return mp4([*window(unrelated, 0, 2.0), *([poster] * 30), *window(unrelated, 2.0, 4.0)], 15)


#: name -> (the upload, how to recognise the match the stage under test makes)
UPLOADS: dict[str, tuple[Callable[[], bytes], Callable[[Match], bool]]] = {
    "plain": (
        lambda: encode(POSTER, "JPEG", quality=60),
        lambda m: m.stage is Stage.HASH and m.algorithm == "pdq" and m.video is None,
    ),
    "geometric": (
        lambda: robustness.encode(ImageOps.mirror(PHOTO), 80),
        lambda m: m.stage is Stage.GEOMETRIC,
    ),
    "video": (
        lambda: mp4(window(CLIP, 1.0, 7.0), CLIP.fps),
        lambda m: m.video is not None and m.video.direction is Direction.VIDEO,
    ),
    "image_in_video": (
        lambda: encode(Image.fromarray(CLIP.frame_at(3.3)), "JPEG", quality=80),
        lambda m: m.video is not None and m.video.direction is Direction.IMAGE_IN_VIDEO,
    ),
    "video_shows_image": (
        _poster_in_a_clip,
        lambda m: m.video is not None and m.video.direction is Direction.VIDEO_SHOWS_IMAGE,
    ),
}


@pytest.mark.parametrize("stage", list(UPLOADS))
def test_label_filter_keeps_labelled_matches_of_every_stage(service: HashDB, stage: str) -> None:
    make, made_by_stage = UPLOADS[stage]
    upload = make()
    unfiltered = [
        m
        for m in service.matching.media(upload, principal=LOCAL_OPERATOR).matches
        if made_by_stage(m)
    ]
    assert unfiltered, f"the {stage} stage found nothing to filter"
    assert all(m.labels == ("type:logo",) for m in unfiltered)

    kept = service.matching.media(upload, labels=["type:logo"], principal=LOCAL_OPERATOR).matches
    assert [m.to_dict() for m in kept if made_by_stage(m)] == [m.to_dict() for m in unfiltered]

    dropped = service.matching.media(
        upload, labels=["type:execution"], principal=LOCAL_OPERATOR
    ).matches
    assert not [m for m in dropped if made_by_stage(m)]
