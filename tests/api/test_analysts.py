"""The analyst routes, acting as principals of two organisations.

Until API keys exist, the caller is chosen by overriding ``api.deps.get_principal``
(the ``act_as`` fixture); every other part is real: app, service, database.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_principal
from hashdb.hashing import Digest
from hashdb.identity import Principal, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store import ListAction, NewList
from hashdb.store.sharing import Sharing
from tests.analysts.conftest import ACME_ANALYST, ACME_PLATFORM, BETA_ANALYST, BETA_PLATFORM
from tests.imagegen import encode, jpeg, scene

ADMIN = Principal("root", Role.ADMIN)
ActAs = Callable[[Principal], TestClient]


@pytest.fixture
def hub(db_url: str) -> Iterator[HashDB]:
    service = HashDB(Settings(db=db_url, refresh_interval=0))
    yield service
    service.close()


@pytest.fixture
def act_as(hub: HashDB) -> Iterator[ActAs]:
    """``act_as(principal)`` -> the test client, now calling as that principal."""
    app = create_app(service=hub)
    with TestClient(app) as client:

        def switch(principal: Principal) -> TestClient:
            app.dependency_overrides[get_principal] = lambda: principal
            return client

        yield switch


def _upload(client: TestClient, data: bytes, **params: object) -> dict[str, object]:
    response = client.post("/v1/match", files={"file": ("x.jpg", data)}, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_shared_list_match_disagree_retire(hub: HashDB, act_as: ActAs) -> None:
    hub.add_vocabulary("type", ["logo", "execution"])
    hub.create_list(NewList("shared"), ACME_ANALYST, sharing=Sharing.SHARED_READ)
    report = hub.add_media(
        "shared",
        jpeg(1),
        EntryMetadata(labels=("type:logo",), source="case-9"),
        principal=ACME_ANALYST,
    )
    body = _upload(act_as(BETA_PLATFORM), encode(scene(1), "JPEG", quality=50))
    assert body["matched"] is True and body["allowed"] is False
    match = body["matches"][0]  # type: ignore[index]
    assert (match["organisation"], match["labels"], match["source"]) == (
        "acme",
        ["type:logo"],
        "case-9",
    )
    assert _upload(act_as(BETA_PLATFORM), jpeg(1), labels="type:execution")["matched"] is False

    client = act_as(BETA_PLATFORM)
    url = f"/v1/entries/{match['entry_id']}/feedback"
    response = client.post(url, json={"verdict": "disagree", "reason": "counter-speech"})
    assert response.status_code == 201 and response.json()["organisation"] == "beta"
    assert client.get(url).status_code == 403  # counts are for analysts
    assert client.post(url, json={"verdict": "maybe"}).status_code == 422
    summary = act_as(ACME_ANALYST).get(url).json()
    assert (summary["agree"], summary["disagree"]) == (0, 1)

    # Beta's analyst may not relabel acme's shared-read entry; acme's may.
    labels_url = f"/v1/entries/{match['entry_id']}/labels"
    assert (
        act_as(BETA_ANALYST).post(labels_url, json={"add": ["type:execution"]}).status_code == 403
    )
    response = act_as(ACME_ANALYST).post(labels_url, json={"add": ["type:nope"]})
    assert response.status_code == 422 and response.json()["code"] == "invalid_label"
    for added in report.added:
        hub.retire_entry(added.entry_id, "counter-speech", principal=ACME_ANALYST)
    assert _upload(act_as(BETA_PLATFORM), jpeg(1))["matched"] is False


def test_private_lists_and_sharing_settings(hub: HashDB, act_as: ActAs) -> None:
    hub.create_list(NewList("acme-only"), ACME_ANALYST, sharing=Sharing.PRIVATE)
    hub.add_media("acme-only", jpeg(2), EntryMetadata(), principal=ACME_ANALYST)
    assert _upload(act_as(ACME_PLATFORM), jpeg(2))["matched"] is True
    assert _upload(act_as(BETA_PLATFORM), jpeg(2))["matched"] is False
    client = act_as(BETA_PLATFORM)
    response = client.post(
        "/v1/match", files={"file": ("x.jpg", jpeg(2))}, params={"lists": "acme-only"}
    )
    assert response.status_code == 404
    assert act_as(BETA_ANALYST).get("/v1/lists/acme-only/sharing").status_code == 404

    client = act_as(ACME_ANALYST)
    response = client.put("/v1/lists/acme-only/sharing", json={"sharing": "shared-read"})
    assert response.status_code == 200 and response.json()["sharing"] == "shared-read"
    assert _upload(act_as(BETA_PLATFORM), jpeg(2))["matched"] is True
    response = act_as(BETA_ANALYST).put("/v1/lists/acme-only/sharing", json={"sharing": "private"})
    assert response.status_code == 403
    response = act_as(ACME_PLATFORM).put("/v1/lists/acme-only/sharing", json={"sharing": "private"})
    assert response.status_code == 403
    response = act_as(ACME_ANALYST).put(
        "/v1/lists/acme-only/sharing", json={"review_radius": {"pdq": 10}}
    )
    assert response.status_code == 422  # not wider than the threshold (31)


def test_allowed_upload_explains_itself(hub: HashDB, act_as: ActAs) -> None:
    hub.add_media("terror", jpeg(3), EntryMetadata(note="propaganda"))
    hub.create_list(NewList("news", action=ListAction.ALLOW))
    hub.add_media("news", jpeg(3), EntryMetadata(note="news footage"))
    body = _upload(act_as(BETA_PLATFORM), jpeg(3))
    assert body["matched"] is False and body["allowed"] is True and body["matches"] == []
    assert {m["list"] for m in body["allowed_by"]} == {"news"}  # type: ignore[index, union-attr]
    suppressed = body["suppressed"]
    assert suppressed and {s["list"] for s in suppressed} == {"terror"}  # type: ignore[index, union-attr]
    allow_ids = {m["entry_id"] for m in body["allowed_by"]}  # type: ignore[index, union-attr]
    assert set(suppressed[0]["allowed_by"]) <= allow_ids  # type: ignore[index]


def test_review_queue_routes(hub: HashDB, act_as: ActAs) -> None:
    hub.create_list(
        NewList("watch", action=ListAction.REVIEW, thresholds={"pdq": 20}),
        ACME_ANALYST,
        sharing=Sharing.SHARED_READ,
    )
    hub.update_list_settings("watch", ACME_ANALYST, review_radius={"pdq": 45})
    value = random.Random(1).randbytes(32)
    hub.add_hex("watch", "pdq", [value.hex()], EntryMetadata(), principal=ACME_ANALYST)
    number = int.from_bytes(value, "big")
    for bit in random.Random(2).sample(range(256), 30):
        number ^= 1 << bit
    near = [Digest("pdq", number.to_bytes(32, "big"), 90)]
    hub.screen_digests(near, principal=BETA_PLATFORM)

    assert act_as(BETA_PLATFORM).get("/v1/review").status_code == 403
    assert act_as(BETA_ANALYST).get("/v1/review").json() == []
    client = act_as(ACME_ANALYST)
    [item] = client.get("/v1/review").json()
    assert (item["distance"], item["platform"], item["organisation"]) == (
        30,
        "beta-uploads",
        "beta",
    )
    response = client.post(f"/v1/review/{item['id']}/confirm", json={"note": "variant"})
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    assert response.json()["added"]["created"] == 1
    response = client.post(f"/v1/review/{item['id']}/dismiss", json={})
    assert response.status_code == 409
    assert client.post("/v1/review/99999/allow", json={"list": "fp"}).status_code == 404
    assert client.post(f"/v1/review/{2**70}/dismiss", json={}).status_code == 422
    assert client.get("/v1/review", params={"status": "all"}).json()[0]["id"] == item["id"]
    assert hub.match_digests(near, principal=BETA_PLATFORM)


def test_vocabulary_and_organisations_need_admin(act_as: ActAs) -> None:
    client = act_as(ACME_ANALYST)
    assert client.post("/v1/labels", json={"facet": "type", "values": ["logo"]}).status_code == 403
    assert client.post("/v1/organisations", json={"name": "gamma"}).status_code == 403
    client = act_as(ADMIN)
    response = client.post("/v1/labels", json={"facet": "type", "values": ["logo", "manual"]})
    assert response.status_code == 200
    assert [t["label"] for t in client.get("/v1/labels").json()] == ["type:logo", "type:manual"]
    assert client.delete("/v1/labels/type:manual").status_code == 200
    assert client.delete("/v1/labels/type:manual").status_code == 422
    assert client.post("/v1/organisations", json={"name": "gamma"}).status_code == 201
    assert client.post("/v1/organisations", json={"name": "gamma"}).status_code == 409
    assert [o["name"] for o in client.get("/v1/organisations").json()] == ["gamma"]
    response = client.post("/v1/organisations", json={"name": "bad\u0000name"})
    assert response.status_code == 422


def test_hostile_names_are_422_not_500(act_as: ActAs) -> None:
    client = act_as(ACME_ANALYST)
    assert client.get("/v1/lists/a%00b/sharing").status_code == 422
    assert client.get("/v1/review", params={"list": "a\u0000b"}).status_code == 422
    assert act_as(ADMIN).delete("/v1/labels/a%00b").status_code == 422
    client = act_as(ACME_ANALYST)
    response = client.put("/v1/lists/x/sharing", json={"review_radius": {"sift": 3}})
    assert response.status_code == 404  # no such list, checked first
