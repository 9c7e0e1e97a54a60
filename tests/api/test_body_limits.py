"""Every request is bounded before its body is read: the key is checked first, and each route
takes a body no larger than its own limit (JSON small, media at the media limit, imports at
theirs), refused from Content-Length or, without one, as soon as the body passes it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from hashdb.identity import Role
from hashdb.settings import Settings
from tests import event_loop
from tests.api.organisations import Deployment

GIB = 1024**3


def _call(app: Any, method: str, path: str, headers: dict[str, str]) -> tuple[int, int, bytes]:
    """Call the ASGI app with a huge Content-Length: (status, body chunks it read, answer)."""
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": reads < 64}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "state": {},
    }
    event_loop.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return int(sent[0]["status"]), reads, body


@pytest.mark.parametrize("path", ["/v1/match", "/v1/lists/zq/media", "/v1/lookup", "/v1/import"])
def test_a_request_without_a_valid_key_is_refused_before_its_body_is_read(
    orgs: Deployment, path: str
) -> None:
    app = orgs.client.app
    big = {"content-length": str(GIB // 2), "content-type": "multipart/form-data; boundary=zz"}
    for headers in (big, {**big, "authorization": "Bearer hdb_not-a-real-key-at-all"}):
        status, reads, body = _call(app, "POST", path, headers)
        assert (status, reads) == (401, 0), body
        assert b'"code": "unauthorized"' in body


def test_each_route_refuses_from_content_length_over_its_own_limit(orgs: Deployment) -> None:
    app = orgs.client.app
    settings = orgs.hub.settings
    key = {"authorization": f"Bearer {orgs.a[Role.ADMIN].key}"}

    def status_of(method: str, path: str, length: int) -> tuple[int, int]:
        status, reads, _ = _call(app, method, path, {**key, "content-length": str(length)})
        return status, reads

    json_limit = settings.max_json_bytes
    assert json_limit <= 4 * 1024 * 1024
    assert status_of("POST", "/v1/lookup", json_limit + 1) == (413, 0)
    assert status_of("POST", "/v1/keys", json_limit + 1) == (413, 0)
    assert status_of("PATCH", "/v1/lists/zq", json_limit + 1) == (413, 0)
    media_limit = max(settings.max_upload_bytes, settings.video_max_bytes)
    for path in ("/v1/match", "/v1/lists/zq/media"):
        assert status_of("POST", path, media_limit + 10**6) == (413, 0)
    assert status_of("POST", "/v1/import", settings.max_import_bytes + 10**6) == (413, 0)


def test_a_json_body_over_the_limit_is_413_and_one_within_it_is_read(
    orgs: Deployment,
) -> None:
    analyst = orgs.a[Role.ANALYST]
    padding = "x" * orgs.hub.settings.max_json_bytes
    response = analyst.post("/v1/lists", json={"name": "zq-big", "description": padding})
    assert response.status_code == 413 and response.json()["code"] == "upload_too_large"
    response = analyst.post("/v1/lists", json={"name": "zq-small", "description": "fine"})
    assert response.status_code == 201


def test_a_body_without_length_is_cut_at_its_routes_limit(db_url: str) -> None:
    settings = Settings(db=db_url, auth=False, max_json_bytes=10_000, refresh_interval=0)
    with TestClient(create_app(settings)) as client:

        def chunks() -> Any:
            for _ in range(50):
                yield b"{" * 1000

        response = client.post(
            "/v1/lookup",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
