"""POST /v1/lookup: hash-only batch matching."""

from __future__ import annotations

import time
from contextlib import closing

from fastapi.testclient import TestClient

from api.app import create_app
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing.images import jpeg


def _pdq(service: HashDB, seed: int) -> str:
    digest = service.media.hash_bytes(jpeg(seed)).get("pdq")
    assert digest is not None
    return digest.hex


def _flip(hex_value: str, bits: int) -> str:
    value = int(hex_value, 16) ^ ((1 << bits) - 1)
    return f"{value:064x}"


def test_one_result_per_hash_in_order(client: TestClient, service: HashDB) -> None:
    known = _pdq(service, 1)
    service.adding.hex(
        "terror",
        "pdq",
        [known],
        EntryMetadata(label="logo", added_by="ana"),
        principal=LOCAL_OPERATOR,
    )
    near, far = _flip(known, 5), _pdq(service, 2)
    response = client.post(
        "/v1/lookup",
        json={
            "hashes": [
                {"algorithm": "pdq", "value": far},
                {"algorithm": "PDQ", "value": near.upper()},
                {"algorithm": "pdq", "value": known},
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["value"] for r in results] == [far, near, known]
    assert [r["matched"] for r in results] == [False, True, True]
    match = results[1]["matches"][0]
    assert (match["distance"], match["label"], match["added_by"]) == (5, "logo", "ana")
    assert match["entry_hash"] == known and match["query_hash"] == near
    assert results[2]["matches"][0]["distance"] == 0


def test_lists_filter_and_retired_entries(client: TestClient, service: HashDB) -> None:
    known = _pdq(service, 3)
    service.adding.hex("a", "pdq", [known], EntryMetadata(), principal=LOCAL_OPERATOR)
    report = service.adding.hex("b", "pdq", [known], EntryMetadata(), principal=LOCAL_OPERATOR)
    body = {"hashes": [{"algorithm": "pdq", "value": known}]}
    both = client.post("/v1/lookup", json=body).json()["results"][0]["matches"]
    assert {m["list"] for m in both} == {"a", "b"}
    only_b = client.post("/v1/lookup", json={**body, "lists": ["b"]}).json()
    assert {m["list"] for m in only_b["results"][0]["matches"]} == {"b"}
    service.entries.retire(
        report.added[0].entry_id, "false positive", "ana", principal=LOCAL_OPERATOR
    )
    only_b = client.post("/v1/lookup", json={**body, "lists": ["b"]}).json()
    assert only_b["results"][0]["matched"] is False
    missing = client.post("/v1/lookup", json={**body, "lists": ["nope"]})
    assert missing.status_code == 404 and missing.json()["code"] == "list_not_found"


def test_malformed_hash_is_422_naming_the_index(client: TestClient) -> None:
    good = {"algorithm": "pdq", "value": "ab" * 32}
    response = client.post(
        "/v1/lookup",
        json={"hashes": [good, good, good, {"algorithm": "pdq", "value": "xyz"}]},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_hash"
    assert [e["field"] for e in body["errors"]] == ["body.hashes.3"]
    assert "hashes.3" in body["detail"] and "64 hex characters" in body["detail"]
    unknown = client.post("/v1/lookup", json={"hashes": [{"algorithm": "md6", "value": "00"}]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_algorithm"


def test_batch_limits(client: TestClient) -> None:
    one = {"algorithm": "md5", "value": "1" * 32}
    assert client.post("/v1/lookup", json={"hashes": [one] * 1000}).status_code == 200
    too_many = client.post("/v1/lookup", json={"hashes": [one] * 1001})
    assert too_many.status_code == 422 and too_many.json()["code"] == "invalid_request"
    assert client.post("/v1/lookup", json={"hashes": []}).status_code == 422
    wrong_type = client.post("/v1/lookup", content=b"hashes=1")
    assert wrong_type.status_code == 422


def test_a_worker_following_changes_answers_hits_and_drops_a_retired_entry(db_url: str) -> None:
    """As a server's worker runs (changes followed in the background, so that a hit is begun
    on the event loop and its entry read there or in a thread): a hit is answered with its
    entry, and once the entry is retired elsewhere it is not reported after a second."""
    md5 = "5d41402abc4b2a76b9719d911017c592"
    with closing(HashDB(Settings(db=db_url))) as analyst:
        report = analyst.adding.hex(
            "terror", "md5", [md5], EntryMetadata(label="logo"), principal=LOCAL_OPERATOR
        )
        key = analyst.keys.create("platform", Role.PLATFORM, principal=LOCAL_OPERATOR).key
    worker = HashDB(Settings(db=db_url, refresh_interval=0.05))
    body = {"hashes": [{"algorithm": "md5", "value": md5}]}
    with TestClient(create_app(service=worker), headers={"Authorization": f"Bearer {key}"}) as c:
        for _ in range(3):  # not cached, then cached
            (result,) = c.post("/v1/lookup", json=body).json()["results"]
            assert [(m["list"], m["label"]) for m in result["matches"]] == [("terror", "logo")]
        with closing(HashDB(Settings(db=db_url))) as analyst:
            entry_id = report.added[0].entry_id
            analyst.entries.retire(entry_id, "false positive", "ana", principal=LOCAL_OPERATOR)
        deadline = time.monotonic() + 1.0
        while c.post("/v1/lookup", json=body).json()["results"][0]["matched"]:
            assert time.monotonic() < deadline, "a retired entry was still reported after 1 s"
            time.sleep(0.05)
