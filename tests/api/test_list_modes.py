"""A list's ``matching_mode`` through the API: set on create, shown on every list answer,
changed by PATCH, checked, only by the list's own organisation; and matches follow it."""

from __future__ import annotations

from PIL import ImageOps

from hashdb.identity import Role
from hashdb.testing import robustness as data
from tests.api.organisations import Deployment


def test_modes_through_the_api(orgs: Deployment) -> None:
    analyst, platform = orgs.a[Role.ANALYST], orgs.a[Role.PLATFORM]
    picture = data.draw_kind("photo", 31)
    known = data.encode(picture, 95)
    for mode in ("exact", "hash", "robust"):
        created = analyst.post("/v1/lists", json={"name": f"zq-{mode}", "matching_mode": mode})
        assert created.status_code == 201, created.text
        assert created.json()["matching_mode"] == mode
        added = analyst.post(f"/v1/lists/zq-{mode}/media", files={"file": ("k.jpg", known)})
        assert added.status_code == 201, added.text
    default = analyst.post("/v1/lists", json={"name": "zq-default"})
    assert default.json()["matching_mode"] == "robust"
    shown = {body["name"]: body["matching_mode"] for body in analyst.get("/v1/lists").json()}
    assert {name: shown[name] for name in ("zq-exact", "zq-hash", "zq-robust")} == {
        "zq-exact": "exact",
        "zq-hash": "hash",
        "zq-robust": "robust",
    }

    def stages(upload: bytes) -> dict[str, set[str]]:
        response = platform.post("/v1/match", files={"file": ("u.jpg", upload)})
        assert response.status_code == 200, response.text
        found: dict[str, set[str]] = {}
        for match in response.json()["matches"]:
            found.setdefault(match["list"], set()).add(match["stage"])
        return found

    assert set(stages(known)) == {"zq-exact", "zq-hash", "zq-robust"}
    assert stages(data.encode(picture, 70)) == {"zq-hash": {"hash"}, "zq-robust": {"hash"}}
    mirrored = data.encode(ImageOps.mirror(picture), 90)
    assert stages(mirrored) == {"zq-robust": {"geometric"}}

    changed = analyst.request("PATCH", "/v1/lists/zq-robust", json={"matching_mode": "hash"})
    assert changed.status_code == 200 and changed.json()["matching_mode"] == "hash"
    assert analyst.get("/v1/lists/zq-robust").json()["matching_mode"] == "hash"
    assert stages(mirrored) == {}

    refused = analyst.request("PATCH", "/v1/lists/zq-hash", json={"matching_mode": "fuzzy"})
    assert refused.status_code == 422
    assert "matching_mode" in refused.text and "Traceback" not in refused.text
    bad = analyst.post("/v1/lists", json={"name": "zq-bad", "matching_mode": "geometric"})
    assert bad.status_code == 422


def test_another_organisation_cannot_see_or_change_a_private_lists_mode(
    orgs: Deployment,
) -> None:
    analyst = orgs.a[Role.ANALYST]
    created = analyst.post("/v1/lists", json={"name": "zq-a-mode", "matching_mode": "exact"})
    assert created.status_code == 201
    shared = analyst.put("/v1/lists/zq-a-mode/sharing", json={"sharing": "private"})
    assert shared.status_code == 200, shared.text
    for role in (Role.ANALYST, Role.ADMIN):
        outsider = orgs.b[role]
        assert outsider.get("/v1/lists/zq-a-mode").status_code == 404
        patched = outsider.request("PATCH", "/v1/lists/zq-a-mode", json={"matching_mode": "robust"})
        assert patched.status_code == 404
        assert "exact" not in patched.text
    assert analyst.get("/v1/lists/zq-a-mode").json()["matching_mode"] == "exact"
