"""The item routes: search, read (hashes, provenance, labels, feedback, audit trail), relabel,
label, retire with a reason and restore; the entry routes act on the item by default."""

from __future__ import annotations

from typing import Any

from httpx import Response

from hashdb.identity import Role
from hashdb.testing.images import jpeg
from tests.api.organisations import TERM, Deployment


def _ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_an_item_is_searched_read_labelled_retired_and_restored(orgs: Deployment) -> None:
    analyst, platform = orgs.a[Role.ANALYST], orgs.a[Role.PLATFORM]
    _ok(analyst.post("/v1/lists", json={"name": "zq-items"}), 201)
    upload = {"file": ("a.jpg", jpeg(11))}
    report = _ok(
        analyst.post("/v1/lists/zq-items/media", files=upload, data={"label": "group-x"}), 201
    )
    (item_id,) = report["item_ids"]
    assert {added["item_id"] for added in report["added"]} == {item_id}
    raw = {"hashes": [{"algorithm": "md5", "value": "ab" * 16}]}
    (raw_item,) = _ok(analyst.post("/v1/lists/zq-items/hashes", json=raw), 201)["item_ids"]
    md5 = next(added for added in report["added"] if added["algorithm"] == "md5")

    page = _ok(analyst.get("/v1/items", params={"list": "zq-items", "limit": 1}))
    assert [item["item_id"] for item in page["items"]] == [item_id]
    rest = _ok(analyst.get("/v1/items", params={"list": "zq-items", "cursor": page["next_cursor"]}))
    assert [item["item_id"] for item in rest["items"]] == [raw_item]
    by_hash = _ok(analyst.get("/v1/items", params={"hash": md5["hash"]}))
    assert [item["item_id"] for item in by_hash["items"]] == [item_id]
    by_label = _ok(analyst.get("/v1/items", params={"label": "group-x"}))
    assert [item["item_id"] for item in by_label["items"]] == [item_id]
    later = _ok(analyst.get("/v1/items", params={"added_after": "2999-01-01T00:00:00Z"}))
    assert later["items"] == []
    assert analyst.get("/v1/items", params={"hash": "xyz"}).status_code == 422

    # Matches name the item; feedback on any of its hashes counts on the item.
    answer = _ok(platform.post("/v1/match", files=upload))
    assert {match["item_id"] for match in answer["matches"]} == {item_id}
    feedback = {"verdict": "disagree", "reason": "a stock photo"}
    _ok(platform.post(f"/v1/entries/{md5['entry_id']}/feedback", json=feedback), 201)

    labelled = _ok(analyst.post(f"/v1/items/{item_id}/labels", json={"add": [TERM]}))
    assert labelled["labels"] == [TERM]
    relabelled = _ok(analyst.request("PATCH", f"/v1/items/{item_id}", json={"note": "zq-why"}))
    assert relabelled["note"] == "zq-why"

    assert analyst.post(f"/v1/items/{item_id}/retire", json={}).status_code == 422
    retired = _ok(analyst.post(f"/v1/items/{item_id}/retire", json={"reason": "stock photo"}))
    assert retired["retired_reason"] == "stock photo"
    assert all(h["retired_at"] for h in retired["hashes"])
    assert _ok(platform.post("/v1/match", files=upload))["matched"] is False
    again = analyst.post(f"/v1/items/{item_id}/retire", json={"reason": "twice"})
    assert again.status_code == 409

    detail = _ok(analyst.get(f"/v1/items/{item_id}"))
    assert detail["kind"] == "media" and detail["organisation"] == "zqorga"
    assert len(detail["hashes"]) == len(report["added"])
    assert detail["feedback"] == {"agree": 0, "disagree": 1}
    actions = [record["action"] for record in detail["audit"]]
    assert actions.count("entry.add") == len(report["added"])
    assert {"item.label", "item.update", "item.retire", "entry.feedback"} <= set(actions)

    restored = _ok(analyst.post(f"/v1/items/{item_id}/restore"))
    assert restored["retired_at"] is None
    assert _ok(platform.post("/v1/match", files=upload))["matched"] is True
    assert analyst.post(f"/v1/items/{item_id}/restore").status_code == 409


def test_the_entry_routes_act_on_the_item_unless_scoped_to_the_entry(orgs: Deployment) -> None:
    analyst, platform = orgs.a[Role.ANALYST], orgs.a[Role.PLATFORM]
    _ok(analyst.post("/v1/lists", json={"name": "zq-scoped"}), 201)
    upload = {"file": ("a.jpg", jpeg(12))}
    report = _ok(analyst.post("/v1/lists/zq-scoped/media", files=upload), 201)
    by_algorithm = {added["algorithm"]: added["entry_id"] for added in report["added"]}

    # One hash alone: the file still matches by its others.
    only_pdq = analyst.post(
        f"/v1/entries/{by_algorithm['pdq']}/retire",
        params={"scope": "entry"},
        json={"reason": "pdq collides"},
    )
    assert _ok(only_pdq)["retired_reason"] == "pdq collides"
    answer = _ok(platform.post("/v1/match", files=upload))
    found = {match["algorithm"] for match in answer["matches"]}
    assert "pdq" not in found and {"md5", "sha256"} <= found

    # The default: every hash of the item.
    md5 = _ok(
        analyst.post(f"/v1/entries/{by_algorithm['md5']}/retire", json={"reason": "stock photo"})
    )
    assert md5["retired_reason"] == "stock photo" and md5["item_id"] == report["item_ids"][0]
    assert _ok(platform.post("/v1/match", files=upload))["matched"] is False
    sha256 = _ok(analyst.get(f"/v1/entries/{by_algorithm['sha256']}"))
    assert sha256["retired_reason"] == "stock photo"


def test_another_organisation_gets_404_for_a_private_item(orgs: Deployment) -> None:
    analyst = orgs.a[Role.ANALYST]
    _ok(analyst.post("/v1/lists", json={"name": "zq-hidden-items"}), 201)
    _ok(analyst.put("/v1/lists/zq-hidden-items/sharing", json={"sharing": "private"}))
    report = _ok(
        analyst.post("/v1/lists/zq-hidden-items/media", files={"file": ("a.jpg", jpeg(13))}), 201
    )
    (item_id,) = report["item_ids"]
    missing = 10**9
    for caller in (orgs.b[Role.ANALYST], orgs.b[Role.ADMIN]):
        for item in (item_id, missing):
            assert caller.get(f"/v1/items/{item}").status_code == 404
            retire = caller.post(f"/v1/items/{item}/retire", json={"reason": "x"})
            assert retire.status_code == 404
            assert caller.post(f"/v1/items/{item}/restore").status_code == 404
            labels = caller.post(f"/v1/items/{item}/labels", json={"add": [TERM]})
            assert labels.status_code == 404
        assert _ok(caller.get("/v1/items"))["items"] == []
        assert caller.get("/v1/items", params={"list": "zq-hidden-items"}).status_code == 404
    assert orgs.b[Role.PLATFORM].get(f"/v1/items/{item_id}").status_code == 403
    assert _ok(analyst.get(f"/v1/items/{item_id}"))["retired_at"] is None
