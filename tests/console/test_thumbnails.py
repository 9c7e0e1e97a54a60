"""Thumbnails served to the console (no browser): only to a viewer who may see their review
item or list, never cached, and gone once the near-miss is resolved; the review page shows
them behind the blur."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from api.app import create_app
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import ListAction, NewList
from hashdb.store.models import Sharing
from hashdb.testing.images import encode, jpeg
from tests.console.test_session import signed_in


def near_copy(data: bytes) -> bytes:
    """The image with a block painted over its top-left quarter: 26 PDQ bits away (for
    ``jpeg(31)``), a near-miss of a list with threshold 20 and review radius 45."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    ImageDraw.Draw(image).rectangle((0, 0, image.width // 2, image.height // 2), fill=(200, 30, 30))
    return encode(image)


class Setup:
    """acme's review list keeping thumbnails, a reference on it, and one near-miss of an
    upload; keys of acme's and beta's analysts."""

    def __init__(self, service: HashDB) -> None:
        def key(name: str, role: Role, organisation: str) -> str:
            return service.keys.create(
                name, role, organisation=organisation, principal=LOCAL_OPERATOR
            ).key

        self.acme = key("ana", Role.ANALYST, "acme")
        self.beta = key("bo", Role.ANALYST, "beta")
        acme = service.keys.authenticate(self.acme)
        platform = service.keys.authenticate(key("uploads", Role.PLATFORM, "acme"))
        service.lists.create(
            NewList("watch", action=ListAction.REVIEW, thresholds={"pdq": 20}),
            acme,
            sharing=Sharing.SHARED_READ,
        )
        service.sharing.update("watch", acme, review_radius={"pdq": 45}, keep_thumbnails=True)
        reference = jpeg(31)
        added = service.adding.media("watch", reference, EntryMetadata(), principal=acme)
        assert added.item_id is not None
        self.item_id = added.item_id
        self.reference = service.thumbnails.for_items([added.item_id], acme)[added.item_id].id
        self.upload_bytes = near_copy(reference)
        result = service.matching.media(self.upload_bytes, principal=platform)
        (self.review_item_id,) = result.review_items
        [item] = service.review.queue(acme)
        self.upload = service.thumbnails.for_review([item], acme)[item.id].id


@pytest.fixture
def service(sqlite_url: str) -> Iterator[HashDB]:
    """Without the robust stage, which would find the painted-over copy a match."""
    hashdb = HashDB(Settings(db=sqlite_url, refresh_interval=0, robust_matching=False))
    yield hashdb
    hashdb.close()


@pytest.fixture
def setup(service: HashDB) -> Setup:
    return Setup(service)


@pytest.fixture
def client(service: HashDB) -> Iterator[TestClient]:
    with TestClient(create_app(service=service)) as opened:
        yield opened


def test_a_thumbnail_is_served_to_its_reviewers_only_and_never_cached(
    client: TestClient, service: HashDB, setup: Setup
) -> None:
    signed_in(client, setup.acme)
    for thumbnail_id in (setup.upload, setup.reference):
        response = client.get(f"/console/thumbnails/{thumbnail_id}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/webp"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "img-src 'self'" in response.headers["content-security-policy"]
        picture = Image.open(io.BytesIO(response.content))
        assert max(picture.size) <= 160
    missing = client.get("/console/thumbnails/999999")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


def test_another_organisation_gets_404_for_a_thumbnail(
    client: TestClient, service: HashDB, setup: Setup, tmp_path: Path
) -> None:
    signed_in(client, setup.beta)
    # beta may read the shared list but not review it: the upload is acme's reviewers' alone.
    assert client.get(f"/console/thumbnails/{setup.upload}").status_code == 404
    # The reference on a list beta may read is beta's to see; made private, it is not.
    assert client.get(f"/console/thumbnails/{setup.reference}").status_code == 200
    acme = service.keys.authenticate(setup.acme)
    service.sharing.update("watch", acme, sharing=Sharing.PRIVATE)
    assert client.get(f"/console/thumbnails/{setup.reference}").status_code == 404
    assert client.get(f"/console/thumbnails/{setup.upload}").status_code == 404


def test_signed_out_viewers_are_sent_to_sign_in(client: TestClient, setup: Setup) -> None:
    response = client.get(f"/console/thumbnails/{setup.upload}", follow_redirects=False)
    assert response.status_code == 303 and "/console/sign-in" in response.headers["location"]


def test_the_review_page_shows_both_thumbnails_blurred_and_resolving_deletes_one(
    client: TestClient, service: HashDB, setup: Setup
) -> None:
    signed_in(client, setup.acme)
    page = client.get("/console/review").text
    for thumbnail_id in (setup.upload, setup.reference):
        assert f'src="/console/thumbnails/{thumbnail_id}"' in page
    assert page.count('class="shield"') >= 2 and "Blurred: click to reveal" in page
    acme = service.keys.authenticate(setup.acme)
    service.review.dismiss(setup.review_item_id, acme)
    assert client.get(f"/console/thumbnails/{setup.upload}").status_code == 404
    assert client.get(f"/console/thumbnails/{setup.reference}").status_code == 200


def test_the_list_page_turns_thumbnails_off_and_deletes_them(
    client: TestClient, service: HashDB, setup: Setup
) -> None:
    signed_in(client, setup.acme)
    page = client.get("/console/lists/watch").text
    assert 'name="keep_thumbnails" value="true" checked' in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/console/lists/watch/sharing",
        data={"csrf_token": token, "sharing": "shared-read", "radius_pdq": "45"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    settings = service.sharing.settings("watch", service.keys.authenticate(setup.acme))
    assert not settings.keep_thumbnails and settings.review_radius == {"pdq": 45}
    assert client.get(f"/console/thumbnails/{setup.reference}").status_code == 404


def test_an_item_page_shows_its_kept_thumbnail_blurred(
    client: TestClient, service: HashDB, setup: Setup
) -> None:
    signed_in(client, setup.acme)
    page = client.get(f"/console/items/{setup.item_id}").text
    assert f'src="/console/thumbnails/{setup.reference}"' in page and 'class="shield"' in page
