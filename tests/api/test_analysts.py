"""The analyst routes, called with real API keys of two organisations.

Every request carries ``Authorization: Bearer KEY`` for a key made by the key service, on the
real app with authentication on: the role and organisation each check uses come from the key's
record, nothing else. Two steps have no route (an entry's ``source``, and queueing a synthetic
near-miss hash) and call the service as the principal the key authenticates to.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from hashdb.hashing import Digest
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing.images import encode, jpeg, scene
from tests.api.conftest import auth


@dataclass(frozen=True)
class Caller:
    """The test client, sending one API key with every request."""

    client: TestClient
    key: str
    hub: HashDB

    @property
    def principal(self) -> Principal:
        """Who the key acts as, for the few steps that have no route."""
        return self.hub.keys.authenticate(self.key)

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        response: Response = self.client.request(method, url, headers=auth(self.key), **kwargs)
        return response

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Response:
        return self.request("DELETE", url, **kwargs)

    def upload(self, data: bytes, **params: object) -> dict[str, Any]:
        response = self.post("/v1/match", files={"file": ("x.jpg", data)}, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@dataclass(frozen=True)
class Callers:
    admin: Caller  # a deployment-wide admin key: no organisation
    acme_analyst: Caller
    acme_platform: Caller
    beta_analyst: Caller
    beta_platform: Caller
    #: An analyst key of beta that happens to share its name with acme's analyst.
    beta_ana: Caller


@pytest.fixture
def hub(db_url: str) -> Iterator[HashDB]:
    service = HashDB(Settings(db=db_url, refresh_interval=0))
    assert service.settings.auth
    yield service
    service.close()


@pytest.fixture
def as_(hub: HashDB) -> Iterator[Callers]:
    """Organisations acme and beta, and one real key per caller, on the real app."""
    hub.organisations.create("acme", principal=LOCAL_OPERATOR)
    hub.organisations.create("beta", principal=LOCAL_OPERATOR)

    def key(name: str, role: Role, organisation: str | None) -> str:
        return hub.keys.create(name, role, organisation=organisation, principal=LOCAL_OPERATOR).key

    with TestClient(create_app(service=hub)) as client:

        def caller(name: str, role: Role, organisation: str | None) -> Caller:
            return Caller(client, key(name, role, organisation), hub)

        yield Callers(
            admin=caller("root", Role.ADMIN, None),
            acme_analyst=caller("ana", Role.ANALYST, "acme"),
            acme_platform=caller("acme-uploads", Role.PLATFORM, "acme"),
            beta_analyst=caller("bo", Role.ANALYST, "beta"),
            beta_platform=caller("beta-uploads", Role.PLATFORM, "beta"),
            beta_ana=caller("ana", Role.ANALYST, "beta"),
        )


def _create_list(caller: Caller, name: str, sharing: str, **body: object) -> None:
    assert caller.post("/v1/lists", json={"name": name, **body}).status_code == 201
    response = caller.put(f"/v1/lists/{name}/sharing", json={"sharing": sharing})
    assert response.status_code == 200 and response.json()["owner"] == caller.principal.organisation


def test_requests_without_a_key_are_refused(as_: Callers) -> None:
    client = as_.admin.client
    assert client.get("/v1/lists").status_code == 401
    assert client.get("/v1/review").status_code == 401
    assert client.post("/v1/match", files={"file": ("x.jpg", jpeg(1))}).status_code == 401


def test_shared_list_match_disagree_retire(hub: HashDB, as_: Callers) -> None:
    response = as_.admin.post("/v1/labels", json={"facet": "type", "values": ["logo", "execution"]})
    assert response.status_code == 200
    _create_list(as_.acme_analyst, "shared", "shared-read")
    # The add route takes no ``source``: the service is called as the key's principal.
    report = hub.adding.media(
        "shared",
        jpeg(1),
        EntryMetadata(labels=("type:logo",), source="case-9"),
        principal=as_.acme_analyst.principal,
    )
    body = as_.beta_platform.upload(encode(scene(1), "JPEG", quality=50))
    assert body["matched"] is True and body["allowed"] is False
    match = body["matches"][0]
    assert (match["organisation"], match["labels"], match["source"]) == (
        "acme",
        ["type:logo"],
        "case-9",
    )
    assert as_.beta_platform.upload(jpeg(1), labels="type:execution")["matched"] is False

    entry_id = match["entry_id"]
    url = f"/v1/entries/{entry_id}/feedback"
    response = as_.beta_platform.post(url, json={"verdict": "disagree", "reason": "counter-speech"})
    assert response.status_code == 201 and response.json()["organisation"] == "beta"
    assert as_.beta_platform.get(url).status_code == 403  # counts are for analysts
    assert as_.beta_platform.post(url, json={"verdict": "maybe"}).status_code == 422
    summary = as_.acme_analyst.get(url).json()
    assert (summary["agree"], summary["disagree"]) == (0, 1)
    assert [(f["by"], f["organisation"]) for f in summary["feedback"]] == [("beta-uploads", "beta")]

    # Beta's analyst may not relabel acme's shared-read entry; acme's may.
    labels_url = f"/v1/entries/{entry_id}/labels"
    response = as_.beta_analyst.post(labels_url, json={"add": ["type:execution"]})
    assert response.status_code == 403
    response = as_.acme_analyst.post(labels_url, json={"add": ["type:nope"]})
    assert response.status_code == 422 and response.json()["code"] == "invalid_label"

    # Retiring: the platform keys lack the role, beta's analyst the organisation.
    retire_url = f"/v1/entries/{entry_id}/retire"
    reason = {"reason": "counter-speech"}
    assert as_.beta_platform.post(retire_url, json=reason).status_code == 403
    assert as_.acme_platform.post(retire_url, json=reason).status_code == 403
    response = as_.beta_analyst.post(retire_url, json=reason)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert as_.beta_ana.post(retire_url, json=reason).status_code == 403  # same name, other org
    assert as_.beta_platform.upload(jpeg(1))["matched"] is True  # nothing was retired
    # Retiring one hash of the media retires its item: every hash of the file.
    response = as_.acme_analyst.post(retire_url, json=reason)
    assert response.status_code == 200, response.text
    assert response.json()["retired_reason"] == "counter-speech"
    for added in report.added:
        retired = as_.acme_analyst.get(f"/v1/entries/{added.entry_id}").json()
        assert retired["retired_reason"] == "counter-speech"
    assert as_.acme_analyst.post(retire_url, json=reason).status_code == 409
    assert as_.beta_platform.upload(jpeg(1))["matched"] is False

    audit_params = {"target_type": "entry", "target_id": str(entry_id)}
    assert as_.beta_platform.get("/v1/audit", params=audit_params).status_code == 403
    trail = as_.acme_analyst.get("/v1/audit", params=audit_params).json()
    assert [(record["action"], record["actor"]) for record in trail] == [
        ("entry.add", "ana@acme"),
        ("entry.feedback", "beta-uploads@beta"),
        ("entry.retire", "ana@acme"),
    ]
    assert trail[1]["after"] == {"verdict": "disagree", "reason": "counter-speech"}
    assert trail[2]["after"]["retired_reason"] == "counter-speech"


def test_private_lists_and_sharing_settings(as_: Callers) -> None:
    _create_list(as_.acme_analyst, "acme-only", "private")
    added = as_.acme_analyst.post("/v1/lists/acme-only/media", files={"file": ("x", jpeg(2))})
    assert added.status_code == 201
    entry_id = added.json()["added"][0]["entry_id"]
    assert as_.acme_platform.upload(jpeg(2))["matched"] is True
    assert as_.beta_platform.upload(jpeg(2))["matched"] is False
    response = as_.beta_platform.post(
        "/v1/match", files={"file": ("x.jpg", jpeg(2))}, params={"lists": "acme-only"}
    )
    assert response.status_code == 404
    # Invisible to beta: not found, never forbidden, whatever the key's name.
    for beta in (as_.beta_analyst, as_.beta_ana):
        assert beta.get("/v1/lists/acme-only/sharing").status_code == 404
        assert beta.get("/v1/lists/acme-only").status_code == 404
        assert beta.get(f"/v1/entries/{entry_id}").status_code == 404
        assert "acme-only" not in [item["name"] for item in beta.get("/v1/lists").json()]
    assert as_.acme_analyst.get(f"/v1/entries/{entry_id}").status_code == 200
    assert as_.admin.get("/v1/lists/acme-only").status_code == 200  # deployment-wide key

    response = as_.acme_analyst.put("/v1/lists/acme-only/sharing", json={"sharing": "shared-read"})
    assert response.status_code == 200 and response.json()["sharing"] == "shared-read"
    assert as_.beta_platform.upload(jpeg(2))["matched"] is True
    assert as_.beta_analyst.get("/v1/lists/acme-only").status_code == 200
    response = as_.beta_analyst.put("/v1/lists/acme-only/sharing", json={"sharing": "private"})
    assert response.status_code == 403
    response = as_.acme_platform.put("/v1/lists/acme-only/sharing", json={"sharing": "private"})
    assert response.status_code == 403
    response = as_.acme_analyst.put(
        "/v1/lists/acme-only/sharing", json={"review_radius": {"pdq": 10}}
    )
    assert response.status_code == 422  # not wider than the threshold (31)


def test_allowed_upload_explains_itself(as_: Callers) -> None:
    # Deployment lists (no owner), made and filled with the organisation-less admin key.
    assert as_.admin.post("/v1/lists", json={"name": "terror"}).status_code == 201
    assert as_.admin.post("/v1/lists", json={"name": "news", "action": "allow"}).status_code == 201
    for name, note in (("terror", "propaganda"), ("news", "news footage")):
        response = as_.admin.post(
            f"/v1/lists/{name}/media", files={"file": ("x.jpg", jpeg(3))}, data={"note": note}
        )
        assert response.status_code == 201
    # An organisation's analyst may not write to a deployment list.
    response = as_.acme_analyst.post("/v1/lists/terror/media", files={"file": ("x", jpeg(4))})
    assert response.status_code == 403
    body = as_.beta_platform.upload(jpeg(3))
    assert body["matched"] is False and body["allowed"] is True and body["matches"] == []
    assert {m["list"] for m in body["allowed_by"]} == {"news"}
    suppressed = body["suppressed"]
    assert suppressed and {s["list"] for s in suppressed} == {"terror"}
    assert {s["note"] for s in suppressed} == {"propaganda"}
    allow_ids = {m["entry_id"] for m in body["allowed_by"]}
    assert set(suppressed[0]["allowed_by"]) <= allow_ids


def test_review_queue_routes(hub: HashDB, as_: Callers) -> None:
    _create_list(as_.acme_analyst, "watch", "shared-read", action="review", thresholds={"pdq": 20})
    response = as_.acme_analyst.put("/v1/lists/watch/sharing", json={"review_radius": {"pdq": 45}})
    assert response.status_code == 200
    value = random.Random(1).randbytes(32)
    added = as_.acme_analyst.post(
        "/v1/lists/watch/hashes", json={"hashes": [{"algorithm": "pdq", "value": value.hex()}]}
    )
    assert added.status_code == 201 and added.json()["created"] == 1
    number = int.from_bytes(value, "big")
    for bit in random.Random(2).sample(range(256), 30):
        number ^= 1 << bit
    near = [Digest("pdq", number.to_bytes(32, "big"), 90)]
    # Near-misses are queued by media matching; a synthetic hash 30 bits away has no image.
    hub.matching.digests(near, principal=as_.beta_platform.principal)

    assert as_.beta_platform.get("/v1/review").status_code == 403
    assert as_.beta_analyst.get("/v1/review").json() == []
    client = as_.acme_analyst
    [item] = client.get("/v1/review").json()
    assert (item["distance"], item["platform"], item["organisation"]) == (
        30,
        "beta-uploads",
        "beta",
    )
    # Beta sees the shared-read list but may not write to it; its platform key has no role.
    assert as_.beta_analyst.post(f"/v1/review/{item['id']}/confirm", json={}).status_code == 403
    assert as_.beta_platform.post(f"/v1/review/{item['id']}/dismiss", json={}).status_code == 403
    response = client.post(f"/v1/review/{item['id']}/confirm", json={"note": "variant"})
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    assert response.json()["added"]["created"] == 1
    response = client.post(f"/v1/review/{item['id']}/dismiss", json={})
    assert response.status_code == 409
    assert client.post("/v1/review/99999/allow", json={"list": "fp"}).status_code == 404
    assert client.post(f"/v1/review/{2**70}/dismiss", json={}).status_code == 422
    assert client.get("/v1/review", params={"status": "all"}).json()[0]["id"] == item["id"]
    lookup = {"hashes": [{"algorithm": "pdq", "value": near[0].hex}]}
    [result] = as_.beta_platform.post("/v1/lookup", json=lookup).json()["results"]
    assert result["matched"] is True and result["matches"][0]["list"] == "watch"


def test_vocabulary_and_organisations_need_admin(as_: Callers) -> None:
    client = as_.acme_analyst
    assert client.post("/v1/labels", json={"facet": "type", "values": ["logo"]}).status_code == 403
    assert client.post("/v1/organisations", json={"name": "gamma"}).status_code == 403
    client = as_.admin
    response = client.post("/v1/labels", json={"facet": "type", "values": ["logo", "manual"]})
    assert response.status_code == 200
    assert [t["label"] for t in client.get("/v1/labels").json()] == ["type:logo", "type:manual"]
    assert client.delete("/v1/labels/type:manual").status_code == 200
    assert client.delete("/v1/labels/type:manual").status_code == 422
    assert client.post("/v1/organisations", json={"name": "gamma"}).status_code == 201
    assert client.post("/v1/organisations", json={"name": "gamma"}).status_code == 409
    names = [o["name"] for o in as_.beta_platform.get("/v1/organisations").json()]
    assert names == ["acme", "beta", "gamma"]
    response = client.post("/v1/organisations", json={"name": "bad\u0000name"})
    assert response.status_code == 422


def test_hostile_names_are_422_not_500(as_: Callers) -> None:
    client = as_.acme_analyst
    assert client.get("/v1/lists/a%00b/sharing").status_code == 422
    assert client.get("/v1/review", params={"list": "a\u0000b"}).status_code == 422
    assert as_.admin.delete("/v1/labels/a%00b").status_code == 422
    response = client.put("/v1/lists/x/sharing", json={"review_radius": {"sift": 3}})
    assert response.status_code == 404  # no such list, checked first
