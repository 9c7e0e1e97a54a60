"""The pixels hashdb keeps: a near-miss of an upload keeps a small thumbnail with its review
item until the item is resolved or the retention period ends; media added to a list keeps one
only if the list opted in. Who may see them is who may see their review item or list."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from PIL import Image

from hashdb.errors import Forbidden, ThumbnailNotFound
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import ListAction, NewList
from hashdb.store.models import Sharing, ThumbnailKind
from hashdb.store.rows import utcnow
from hashdb.testing import videos
from tests.analysts.conftest import ACME_ANALYST, BETA_ANALYST, BETA_PLATFORM, jpeg

ACME_ADMIN = Principal("root", Role.ADMIN, "acme")


def _flip(value: bytes, bits: int) -> bytes:
    number = int.from_bytes(value, "big")
    for bit in random.Random(bits).sample(range(256), bits):
        number ^= 1 << bit
    return number.to_bytes(32, "big")


def _watch(hub: HashDB, upload: bytes, *, sharing: Sharing = Sharing.SHARED_READ) -> None:
    """acme's review list (PDQ threshold 20, review radius 45) holding a raw PDQ 30 bits from
    the upload's: matching the upload is a near-miss."""
    hub.lists.create(
        NewList("watch", action=ListAction.REVIEW, thresholds={"pdq": 20}),
        ACME_ANALYST,
        sharing=sharing,
    )
    hub.sharing.update("watch", ACME_ANALYST, review_radius={"pdq": 45})
    pdq = hub.media.hash_bytes(upload).get("pdq")
    assert pdq is not None
    hub.adding.hex(
        "watch", "pdq", [_flip(pdq.value, 30).hex()], EntryMetadata(), principal=ACME_ANALYST
    )


def test_a_near_miss_keeps_a_small_thumbnail_until_it_is_resolved(hub: HashDB) -> None:
    upload = jpeg(11, (1280, 720))
    _watch(hub, upload)
    result = hub.matching.media(upload, principal=BETA_PLATFORM)
    assert not result.matched and len(result.review_items) == 1
    hub.matching.media(upload, principal=BETA_PLATFORM)  # seen again: still one thumbnail
    [item] = hub.review.queue(ACME_ANALYST)
    thumbnails = hub.thumbnails.for_review([item], ACME_ANALYST)
    thumbnail, data = hub.thumbnails.get(thumbnails[item.id].id, ACME_ANALYST)
    assert thumbnail.kind is ThumbnailKind.UPLOAD and thumbnail.content_type == "image/webp"
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "WEBP" and picture.size == (160, 90) == (
        thumbnail.width,
        thumbnail.height,
    )
    assert len(data) < 8_000  # a few kilobytes

    # beta matched the list but may not review it: no thumbnail for beta, as if none existed.
    assert hub.thumbnails.for_review([item], BETA_ANALYST) == {}
    with pytest.raises(ThumbnailNotFound):
        hub.thumbnails.get(thumbnail.id, BETA_ANALYST)

    hub.review.dismiss(item.id, ACME_ANALYST, "not it")
    assert hub.thumbnails.for_review([item], ACME_ANALYST) == {}
    with pytest.raises(ThumbnailNotFound):
        hub.thumbnails.get(thumbnail.id, ACME_ANALYST)


@pytest.mark.parametrize("action", ["confirm", "allow"])
def test_confirming_or_allowing_deletes_the_upload_thumbnail(hub: HashDB, action: str) -> None:
    upload = jpeg(12)
    _watch(hub, upload)
    hub.matching.media(upload, principal=BETA_PLATFORM)
    [item] = hub.review.queue(ACME_ANALYST)
    assert hub.thumbnails.for_review([item], ACME_ANALYST)
    if action == "confirm":
        hub.review.confirm(item.id, ACME_ANALYST)
    else:
        hub.review.allow(item.id, "acme-allowed", ACME_ANALYST)
    assert hub.store.review_thumbnails([item.id]) == {}


def test_a_near_miss_confirmed_onto_a_list_that_keeps_thumbnails_keeps_its_picture(
    hub: HashDB,
) -> None:
    upload = jpeg(18)
    _watch(hub, upload)
    hub.sharing.update("watch", ACME_ANALYST, keep_thumbnails=True)
    hub.matching.media(upload, principal=BETA_PLATFORM)
    [item] = hub.review.queue(ACME_ANALYST)
    [kept] = hub.thumbnails.for_review([item], ACME_ANALYST).values()
    outcome = hub.review.confirm(item.id, ACME_ANALYST)
    assert outcome.report is not None and outcome.report.item_id is not None
    assert hub.store.review_thumbnails([item.id]) == {}
    [adopted] = hub.thumbnails.for_items([outcome.report.item_id], ACME_ANALYST).values()
    assert adopted.id == kept.id and adopted.kind is ThumbnailKind.REFERENCE
    # Now the list's: purging upload thumbnails leaves it.
    assert hub.thumbnails.purge(ACME_ADMIN, now=utcnow() + timedelta(days=365)) == 0
    assert hub.thumbnails.get(adopted.id, ACME_ANALYST)[0].item_id == outcome.report.item_id


def test_upload_thumbnails_are_purged_after_the_retention_period(hub: HashDB) -> None:
    upload = jpeg(13)
    _watch(hub, upload)
    hub.matching.media(upload, principal=BETA_PLATFORM)
    [item] = hub.review.queue(ACME_ANALYST)
    assert hub.thumbnails.purge(ACME_ADMIN) == 0  # 30 days by default: nothing expired
    with pytest.raises(Forbidden):
        hub.thumbnails.purge(ACME_ANALYST)
    later = utcnow() + timedelta(days=30, minutes=1)
    assert hub.thumbnails.purge(ACME_ADMIN, now=later) == 1
    assert hub.store.review_thumbnails([item.id]) == {}
    [record] = hub.audit.records(ACME_ANALYST, target_type="thumbnails")
    assert record.action == "thumbnails.purge" and record.after is not None
    assert record.after["deleted"] == 1 and record.after["retention_days"] == 30
    # The review item itself stays, with its hashes.
    assert [pending.id for pending in hub.review.queue(ACME_ANALYST)] == [item.id]


def test_a_retention_of_zero_keeps_no_upload_thumbnail(db_url: str) -> None:
    hub = HashDB(Settings(db=db_url, refresh_interval=0, thumbnail_retention_days=0))
    try:
        upload = jpeg(14)
        _watch(hub, upload)
        assert hub.matching.media(upload, principal=BETA_PLATFORM).review_items
        [item] = hub.review.queue(ACME_ANALYST)
        assert hub.store.review_thumbnails([item.id]) == {}
    finally:
        hub.close()


def test_recording_a_near_miss_purges_what_has_expired(hub: HashDB) -> None:
    upload = jpeg(15)
    _watch(hub, upload)
    hub.matching.media(upload, principal=BETA_PLATFORM)
    [item] = hub.review.queue(ACME_ANALYST)
    hub.settings = hub.settings.model_copy(update={"thumbnail_retention_days": 0})
    hub.pipeline.settings = hub.settings
    hub.matching.media(jpeg(16), principal=BETA_PLATFORM)  # no near-miss: nothing written
    assert hub.store.review_thumbnails([item.id])
    hub.matching.media(upload, principal=BETA_PLATFORM)  # a queue write purges
    assert hub.store.review_thumbnails([item.id]) == {}


def test_a_hash_only_near_miss_keeps_no_picture(hub: HashDB) -> None:
    upload = jpeg(17)
    _watch(hub, upload)
    digests = hub.media.hash_bytes(upload).digests
    assert hub.matching.digests(digests, principal=BETA_PLATFORM).review_items
    [item] = hub.review.queue(ACME_ANALYST)
    assert hub.store.review_thumbnails([item.id]) == {}


def test_references_keep_thumbnails_only_on_lists_that_opt_in(hub: HashDB) -> None:
    hub.lists.create(NewList("plain"), ACME_ANALYST, sharing=Sharing.PRIVATE)
    hub.lists.create(NewList("kept"), ACME_ANALYST, sharing=Sharing.PRIVATE)
    settings = hub.sharing.update("kept", ACME_ANALYST, keep_thumbnails=True)
    assert settings.keep_thumbnails and settings.to_dict()["keep_thumbnails"] is True
    plain = hub.adding.media("plain", jpeg(21), EntryMetadata(), principal=ACME_ANALYST)
    kept = hub.adding.media("kept", jpeg(22), EntryMetadata(), principal=ACME_ANALYST)
    assert plain.item_id is not None and kept.item_id is not None
    assert hub.store.item_thumbnails([plain.item_id]) == {}  # never for a list that did not
    [thumbnail] = hub.thumbnails.for_items([plain.item_id, kept.item_id], ACME_ANALYST).values()
    assert thumbnail.kind is ThumbnailKind.REFERENCE and thumbnail.item_id == kept.item_id
    assert hub.thumbnails.get(thumbnail.id, ACME_ANALYST)[1][:4] == b"RIFF"
    # A private list's thumbnail is another organisation's 404.
    assert hub.thumbnails.for_items([kept.item_id], BETA_ANALYST) == {}
    with pytest.raises(ThumbnailNotFound):
        hub.thumbnails.get(thumbnail.id, BETA_ANALYST)
    assert hub.thumbnails.get(thumbnail.id, LOCAL_OPERATOR)[0] == thumbnail

    # Opting out deletes them; adding more keeps none.
    hub.sharing.update("kept", ACME_ANALYST, keep_thumbnails=False)
    assert hub.store.item_thumbnails([kept.item_id]) == {}
    again = hub.adding.media("kept", jpeg(23), EntryMetadata(), principal=ACME_ANALYST)
    assert again.item_id is not None and hub.store.item_thumbnails([again.item_id]) == {}


def test_a_video_reference_keeps_a_strip_of_frames(hub: HashDB) -> None:
    hub.lists.create(NewList("videos"), ACME_ANALYST)
    hub.sharing.update("videos", ACME_ANALYST, keep_thumbnails=True)
    show = videos.Slideshow(5, slides=4)
    report = hub.adding.media(
        "videos", videos.mp4(show.frames(), show.fps), EntryMetadata(), principal=ACME_ANALYST
    )
    assert report.item_id is not None
    [thumbnail] = hub.thumbnails.for_items([report.item_id], ACME_ANALYST).values()
    assert thumbnail.video and thumbnail.frames == 4
    data = hub.thumbnails.get(thumbnail.id, ACME_ANALYST)[1]
    strip = Image.open(io.BytesIO(data))
    assert strip.format == "WEBP" and strip.height <= 120 and strip.width > 3 * strip.height
    assert getattr(strip, "n_frames", 1) == 1  # a still strip, never an animation
