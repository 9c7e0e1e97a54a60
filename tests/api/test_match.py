"""POST /v1/match and errors as problem+json, in-process."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.testing.images import encode, jpeg, scene
from tests.api.conftest import auth


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_match_upload_returns_the_cli_object_without_path(
    client: TestClient, service: HashDB
) -> None:
    service.adding.media(
        "terror",
        encode(scene(1), "PNG"),
        EntryMetadata(label="logo", added_by="a"),
        principal=LOCAL_OPERATOR,
    )
    response = client.post(
        "/v1/match", files={"file": ("x.jpg", encode(scene(1), "JPEG", quality=50), "image/jpeg")}
    )
    assert response.status_code == 200
    body = response.json()
    assert "path" not in body
    assert body["matched"] is True
    match = body["matches"][0]
    assert (match["list"], match["algorithm"], match["label"]) == ("terror", "pdq", "logo")
    assert isinstance(match["entry_id"], int) and 0 <= match["distance"] <= 31
    assert len(body["hashes"]["pdq"]) == 64


def test_no_match(client: TestClient) -> None:
    response = client.post("/v1/match", files={"file": ("x.jpg", jpeg(2), "image/jpeg")})
    assert response.status_code == 200 and response.json()["matched"] is False


def test_list_filter_and_unknown_list(client: TestClient, service: HashDB) -> None:
    data = jpeg(3)
    service.adding.media("a", data, EntryMetadata(), principal=LOCAL_OPERATOR)
    service.adding.media("b", data, EntryMetadata(), principal=LOCAL_OPERATOR)
    ok = client.post("/v1/match", params={"lists": "b"}, files={"file": ("x", data)})
    assert {m["list"] for m in ok.json()["matches"]} == {"b"}
    missing = client.post("/v1/match", params={"lists": "zzz"}, files={"file": ("x", data)})
    assert missing.status_code == 404
    assert missing.json()["code"] == "list_not_found"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"", 422, "empty_media"),
        (b"plain text, not an image", 415, "unsupported_media"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, 422, "corrupt_media"),
    ],
)
def test_bad_uploads_are_problems_not_500s(
    client: TestClient, payload: bytes, status: int, code: str
) -> None:
    response = client.post("/v1/match", files={"file": ("x.jpg", payload, "image/jpeg")})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["detail"]


def test_truncated_jpeg_is_422(client: TestClient) -> None:
    data = jpeg(4)[:3000]
    response = client.post("/v1/match", files={"file": ("x.jpg", data, "image/jpeg")})
    assert response.status_code == 422


def test_missing_file_field_names_the_field(client: TestClient) -> None:
    response = client.post("/v1/match", data={"other": "x"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert "file" in response.json()["detail"]


def test_upload_size_limit(service: HashDB, api_keys: dict[Role, str]) -> None:
    from api.app import create_app

    service.settings.max_upload_bytes = 10_000
    with TestClient(create_app(service=service)) as small_client:
        response = small_client.post(
            "/v1/match",
            files={"file": ("x.jpg", jpeg(5), "image/jpeg")},
            headers=auth(api_keys[Role.PLATFORM]),
        )
    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/v1/match" in schema["paths"]
