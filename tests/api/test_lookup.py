"""POST /v1/lookup: hash-only batch matching."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
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
