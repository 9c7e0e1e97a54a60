"""Bulk export and import over HTTP, with real keys of two organisations."""

from __future__ import annotations

import hashlib
import json

from fastapi.testclient import TestClient

from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.store.models import NewList, Sharing
from tests.api.conftest import auth


def _pdq(seed: int) -> str:
    return hashlib.sha256(seed.to_bytes(4, "big")).hexdigest()


def _keys(service: HashDB) -> dict[str, str]:
    for name in ("org-a", "org-b"):
        service.organisations.create(name, principal=LOCAL_OPERATOR)
    return {
        "a": service.keys.create(
            "ana", Role.ANALYST, organisation="org-a", principal=LOCAL_OPERATOR
        ).key,
        "b": service.keys.create(
            "ben", Role.ANALYST, organisation="org-b", principal=LOCAL_OPERATOR
        ).key,
        "b-platform": service.keys.create(
            "b-app", Role.PLATFORM, organisation="org-b", principal=LOCAL_OPERATOR
        ).key,
    }


def test_export_shows_only_the_lists_the_key_can_see(
    app_client: TestClient, service: HashDB
) -> None:
    keys = _keys(service)
    service.lists.create(
        NewList("a-private"), owner="org-a", sharing=Sharing.PRIVATE, principal=LOCAL_OPERATOR
    )
    service.lists.create(
        NewList("a-shared"), owner="org-a", sharing=Sharing.SHARED_READ, principal=LOCAL_OPERATOR
    )
    service.adding.hex("a-private", "pdq", [_pdq(1)], EntryMetadata(), principal=LOCAL_OPERATOR)
    service.adding.hex("a-shared", "pdq", [_pdq(2)], EntryMetadata(), principal=LOCAL_OPERATOR)
    seen = app_client.get("/v1/export", headers=auth(keys["b"]))
    assert seen.status_code == 200, seen.text
    assert seen.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in seen.text.splitlines()]
    assert {r["name"] for r in records if r.get("record") == "list"} == {"a-shared"}
    assert [r["hash"] for r in records if "record" not in r] == [_pdq(2)]
    assert seen.headers["x-hashdb-entries"] == "1"
    hidden = app_client.get("/v1/export?list=a-private", headers=auth(keys["b"]))
    assert hidden.status_code == 404
    own = app_client.get("/v1/export?list=a-private&format=csv", headers=auth(keys["a"]))
    assert own.status_code == 200 and _pdq(1) in own.text
    platform = app_client.get("/v1/export", headers=auth(keys["b-platform"]))
    assert platform.status_code == 403


def test_import_writes_as_the_keys_organisation_and_nothing_on_a_bad_row(
    app_client: TestClient, service: HashDB
) -> None:
    keys = _keys(service)
    service.lists.create(
        NewList("a-shared"), owner="org-a", sharing=Sharing.SHARED_READ, principal=LOCAL_OPERATOR
    )
    body = f"algorithm,hash,label\npdq,{_pdq(1)},x\npdq,{_pdq(2)},y\n"
    made = app_client.post(
        "/v1/import?list=b-list",
        files={"file": ("hashes.csv", body, "text/csv")},
        headers=auth(keys["b"]),
    )
    assert made.status_code == 200, made.text
    assert made.json()["created"] == 2
    assert (
        service.sharing.settings("b-list", principal=LOCAL_OPERATOR).owner == "org-b"
    )  # created as the caller's
    # org-b may read a-shared but not write to it: nothing of the file is written.
    refused = app_client.post(
        "/v1/import?list=a-shared",
        files={"file": ("hashes.csv", body, "text/csv")},
        headers=auth(keys["b"]),
    )
    assert refused.status_code == 403
    assert service.store.count_entries(service.store.get_list("a-shared").id) == 0
    bad = app_client.post(
        "/v1/import?list=b-list",
        files={"file": ("hashes.csv", body + "pdq,zz,z\n", "text/csv")},
        headers=auth(keys["b"]),
    )
    assert bad.status_code == 422
    problem = bad.json()
    assert problem["code"] == "import_rejected" and problem["details"]["errors"][0]["line"] == 4
    unknown = app_client.post(
        "/v1/import?list=b-list",
        files={"file": ("hashes.txt", body, "text/plain")},
        headers=auth(keys["b"]),
    )
    assert unknown.status_code == 400
    (audit,) = [r for r in service.audit.records(target_type="import", principal=LOCAL_OPERATOR)]
    assert audit.actor == "ben@org-b"


def test_a_definition_cannot_hand_a_list_to_another_organisation(
    app_client: TestClient, service: HashDB
) -> None:
    keys = _keys(service)
    service.lists.create(
        NewList("a-list"), owner="org-a", sharing=Sharing.SHARED_WRITE, principal=LOCAL_OPERATOR
    )
    definition = {"record": "list", "name": "a-list", "owner": "org-b", "sharing": "private"}
    text = (
        json.dumps(definition)
        + "\n"
        + json.dumps({"algorithm": "pdq", "hash": _pdq(5), "list": "a-list"})
    )
    taken = app_client.post(
        "/v1/import",
        files={"file": ("take.jsonl", text, "application/x-ndjson")},
        headers=auth(keys["b"]),
    )
    assert taken.status_code == 403
    settings = service.sharing.settings("a-list", principal=LOCAL_OPERATOR)
    assert (settings.owner, settings.sharing) == ("org-a", Sharing.SHARED_WRITE)
    assert service.store.count_entries(service.store.get_list("a-list").id) == 0  # rolled back
    vocabulary = json.dumps({"record": "vocabulary", "label": "type:logo"}) + "\n"
    labelled = app_client.post(
        "/v1/import?list=b-new",
        files={"file": ("v.jsonl", vocabulary, "application/x-ndjson")},
        headers=auth(keys["b"]),
    )
    assert labelled.status_code == 403  # the vocabulary is the admins'
    assert service.labels.vocabulary(principal=LOCAL_OPERATOR) == []
