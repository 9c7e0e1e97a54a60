"""Analyst routes: lists, entries from uploads and raw hashes, search, retire, audit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hashdb.identity import Role
from hashdb.testing.images import encode, jpeg, scene
from tests.api.conftest import auth


@pytest.fixture
def analyst(app_client: TestClient, api_keys: dict[Role, str]) -> TestClient:
    app_client.headers.update(auth(api_keys[Role.ANALYST]))
    return app_client


def test_list_lifecycle(analyst: TestClient) -> None:
    created = analyst.post(
        "/v1/lists", json={"name": "terror", "thresholds": {"pdq": 20}, "action": "review"}
    )
    assert created.status_code == 201
    assert created.json()["thresholds"] == {"pdq": 20} and created.json()["live_entries"] == 0
    assert analyst.post("/v1/lists", json={"name": "terror"}).status_code == 409
    updated = analyst.patch("/v1/lists/terror", json={"thresholds": {"pdq": 25, "md5": 0}})
    assert updated.status_code == 200 and updated.json()["thresholds"] == {"pdq": 25, "md5": 0}
    assert updated.json()["action"] == "review"
    bad = analyst.patch("/v1/lists/terror", json={"thresholds": {"pdq": 200}})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_value"
    assert analyst.get("/v1/lists/nope").status_code == 404
    assert [item["name"] for item in analyst.get("/v1/lists").json()] == ["terror"]

    added = analyst.post(
        "/v1/lists/terror/hashes", json={"hashes": [{"algorithm": "md5", "value": "a" * 32}]}
    )
    assert added.status_code == 201
    conflict = analyst.delete("/v1/lists/terror")
    assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
    analyst.post("/v1/lists", json={"name": "empty"})
    assert analyst.delete("/v1/lists/empty").status_code == 204
    assert analyst.get("/v1/lists/empty").status_code == 404


def test_add_from_upload_then_platform_matches_a_re_encoded_copy(
    analyst: TestClient, api_keys: dict[Role, str]
) -> None:
    analyst.post("/v1/lists", json={"name": "terror"})
    original = scene(7, (800, 600))
    added = analyst.post(
        "/v1/lists/terror/media",
        files={"file": ("known.png", encode(original, "PNG"), "image/png")},
        data={"label": "group-x/logo", "note": "ref 114"},
    )
    assert added.status_code == 201, added.text
    report = added.json()
    assert report["created"] == 5 and report["refused"] == []
    copy = encode(original.resize((400, 300)), "JPEG", quality=40)
    platform = auth(api_keys[Role.PLATFORM])
    matched = analyst.post("/v1/match", files={"file": ("c.jpg", copy)}, headers=platform)
    match = matched.json()["matches"][0]
    assert (match["label"], match["note"], match["added_by"]) == (
        "group-x/logo",
        "ref 114",
        "test-analyst",
    )
    missing = analyst.post("/v1/lists/nope/media", files={"file": ("x.jpg", jpeg(1))})
    assert missing.status_code == 404  # adding never creates a list by accident


def test_raw_hashes_search_retire_and_audit(analyst: TestClient) -> None:
    analyst.post("/v1/lists", json={"name": "partner"})
    values = [f"{i:032x}" for i in range(1, 6)]
    body = {
        "hashes": [{"algorithm": "md5", "value": v} for v in values],
        "label": "campaign-9",
        "note": "from partner X",
        "source_sha256": "AB" * 32,
    }
    added = analyst.post("/v1/lists/partner/hashes", json=body).json()
    assert added["created"] == 5
    again = analyst.post("/v1/lists/partner/hashes", json=body).json()
    assert again["created"] == 0 and again["existing"] == 5
    bad = analyst.post(
        "/v1/lists/partner/hashes",
        json={
            "hashes": [{"algorithm": "md5", "value": "a" * 32}, {"algorithm": "md5", "value": "z"}]
        },
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.hashes.1"

    page = analyst.get("/v1/entries", params={"label": "campaign-9", "limit": 3}).json()
    assert len(page["entries"]) == 3 and page["next_cursor"]
    rest = analyst.get(
        "/v1/entries", params={"label": "campaign-9", "limit": 3, "cursor": page["next_cursor"]}
    ).json()
    assert len(rest["entries"]) == 2 and rest["next_cursor"] is None
    first = page["entries"][0]
    assert first["source_sha256"] == "ab" * 32 and first["added_by"] == "test-analyst"
    assert (
        analyst.get("/v1/entries", params={"added_after": "2099-01-01T00:00:00Z"}).json()["entries"]
        == []
    )
    assert analyst.get("/v1/entries", params={"cursor": "abc"}).status_code == 422

    entry_id = first["entry_id"]
    assert analyst.post(f"/v1/entries/{entry_id}/retire", json={}).status_code == 422
    blank = analyst.post(f"/v1/entries/{entry_id}/retire", json={"reason": "  "})
    assert blank.status_code == 422
    retired = analyst.post(f"/v1/entries/{entry_id}/retire", json={"reason": "false positive"})
    assert retired.status_code == 200 and retired.json()["retired_by"] == "test-analyst"
    assert analyst.get(f"/v1/entries/{entry_id}").json()["retired_reason"] == "false positive"
    assert analyst.post(f"/v1/entries/{entry_id}/retire", json={"reason": "x"}).status_code == 409
    assert analyst.get("/v1/entries/999999").status_code == 404

    audit = analyst.get("/v1/audit", params={"target_type": "entry", "target_id": entry_id})
    records = audit.json()
    assert [r["action"] for r in records] == ["entry.add", "entry.retire"]
    assert records[1]["actor"] == "test-analyst"
    assert records[1]["before"]["retired_at"] is None
    assert records[1]["after"]["retired_reason"] == "false positive"
    lists_audit = analyst.get("/v1/audit", params={"target_type": "list"}).json()
    assert [r["action"] for r in lists_audit] == ["list.create"]


def test_relabel_is_audited_and_explained_at_once(
    analyst: TestClient, api_keys: dict[Role, str]
) -> None:
    analyst.post("/v1/lists", json={"name": "l"})
    value = "c" * 32
    added = analyst.post(
        "/v1/lists/l/hashes",
        json={"hashes": [{"algorithm": "md5", "value": value}], "label": "old", "note": "n"},
    ).json()
    entry_id = added["added"][0]["entry_id"]
    changed = analyst.patch(f"/v1/entries/{entry_id}", json={"label": "group-y"})
    assert changed.status_code == 200
    assert (changed.json()["label"], changed.json()["note"]) == ("group-y", "n")
    lookup = analyst.post(
        "/v1/lookup",
        json={"hashes": [{"algorithm": "md5", "value": value}]},
        headers=auth(api_keys[Role.PLATFORM]),
    )
    assert lookup.json()["results"][0]["matches"][0]["label"] == "group-y"
    [record] = analyst.get(
        "/v1/audit", params={"target_type": "entry", "target_id": entry_id}
    ).json()[1:]
    assert record["action"] == "entry.update"
    assert (record["before"]["label"], record["after"]["label"]) == ("old", "group-y")
    assert analyst.patch("/v1/entries/424242", json={"label": "x"}).status_code == 404
