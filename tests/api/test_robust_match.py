"""POST /v1/match explains robust matches: stage and variant."""

from __future__ import annotations

from fastapi.testclient import TestClient
from PIL import ImageOps

from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.testing import robustness as data

ANALYST = EntryMetadata(label="known", added_by="analyst")


def test_api_match_explains_the_stage(client: TestClient, service: HashDB) -> None:
    picture = data.draw_kind("photo", 31)
    service.adding.media("terror", data.encode(picture, 95), ANALYST, principal=LOCAL_OPERATOR)
    upload = data.encode(ImageOps.mirror(picture), 80)
    response = client.post("/v1/match", files={"file": ("m.jpg", upload, "image/jpeg")})
    assert response.status_code == 200
    body = response.json()
    assert body["matched"] is True
    match = body["matches"][0]
    assert match["stage"] == "geometric" and match["variant"].startswith("mirror-h")
    assert match["label"] == "known" and match["list"] == "terror"
