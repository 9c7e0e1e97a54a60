"""The console's session, CSRF check, role gates and error pages, through the real app (no
browser: these are the HTTP rules a browser relies on)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.console import ROUTERS
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.testing.images import jpeg

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: TestClient, path: str = "/console/sign-in") -> str:
    found = TOKEN.search(client.get(path).text)
    assert found, path
    return found.group(1)


def signed_in(client: TestClient, key: str) -> TestClient:
    response = client.post(
        "/console/sign-in",
        data={"key": key, "csrf_token": csrf(client), "next": "/console/lists"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def app_for(tmp_path: Path) -> Iterator[object]:
    services: list[HashDB] = []

    def build(**overrides: object) -> tuple[TestClient, HashDB]:
        service = HashDB(
            Settings(db=str(tmp_path / "console.sqlite"), refresh_interval=0, **overrides)  # type: ignore[arg-type]
        )
        services.append(service)
        return TestClient(create_app(service=service)), service

    yield build
    for service in services:
        service.close()


@pytest.fixture
def console(service: HashDB) -> Iterator[TestClient]:
    with TestClient(create_app(service=service)) as client:
        yield client


def test_the_cookie_holds_no_key_and_is_strict(console: TestClient, service: HashDB) -> None:
    key = service.keys.create("ana", Role.ANALYST, principal=LOCAL_OPERATOR).key
    response = console.post(
        "/console/sign-in",
        data={"key": key, "csrf_token": csrf(console)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    assert key not in cookie and key[4:20] not in cookie
    assert response.headers["location"] == "/console/"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_over_https_the_cookie_is_secure(service: HashDB) -> None:
    with TestClient(create_app(service=service), base_url="https://console.test") as client:
        response = client.get("/console/sign-in")
        assert "; Secure" in response.headers["set-cookie"]


def test_a_forged_or_expired_cookie_is_no_session(app_for: object, tmp_path: Path) -> None:
    client, service = app_for(console_session_hours=1 / 3600)  # type: ignore[operator]
    key = service.keys.create("ana", Role.ANALYST, principal=LOCAL_OPERATOR).key
    signed_in(client, key)
    assert client.get("/console/lists", follow_redirects=False).status_code == 200
    value = client.cookies["hashdb_console"]
    client.cookies.set("hashdb_console", value[:-3] + "AAA", path="/console")
    assert client.get("/console/lists", follow_redirects=False).status_code == 303
    client.cookies.set("hashdb_console", value, path="/console")
    time.sleep(2.1)  # past the one-second session
    response = client.get("/console/lists", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=/console/lists"


def test_a_revoked_key_is_signed_out_at_its_next_request(
    console: TestClient, service: HashDB
) -> None:
    created = service.keys.create("ana", Role.ANALYST, principal=LOCAL_OPERATOR)
    signed_in(console, created.key)
    assert console.get("/console/lists").status_code == 200
    service.keys.revoke(created.record.id, principal=LOCAL_OPERATOR)
    response = console.get("/console/lists", follow_redirects=False)
    assert response.status_code == 303
    page = console.get(response.headers["location"])
    assert "signed out: the API key has been revoked" in page.text


def test_every_form_post_needs_the_session_token(console: TestClient, service: HashDB) -> None:
    signed_in(console, service.keys.create("root", Role.ADMIN, principal=LOCAL_OPERATOR).key)
    posts = [
        route.path
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]
    assert len(posts) >= 12
    for path in posts:
        url = "/console" + path.replace("{name}", "x").replace("{item_id}", "1").replace(
            "{key_id}", "1"
        )
        refused = console.post(url, data={"name": "x"}, follow_redirects=False)
        assert refused.status_code == 403, url
        assert "CSRF" in refused.text and "text/html" in refused.headers["content-type"]
    token = csrf(console, "/console/lists")
    forged = console.post(
        "/console/lists",
        data={"name": "x", "csrf_token": token},
        headers={"origin": "https://elsewhere.example"},
    )
    assert forged.status_code == 403
    assert service.store.lists() == []


def test_roles_decide_the_pages(console: TestClient, service: HashDB) -> None:
    signed_in(console, service.keys.create("uploads", Role.PLATFORM, principal=LOCAL_OPERATOR).key)
    assert console.get("/console/", follow_redirects=False).headers["location"] == "/console/match"
    assert console.get("/console/match").status_code == 200
    for path in ("/console/lists", "/console/review", "/console/add", "/console/audit"):
        response = console.get(path)
        assert response.status_code == 403 and "analyst role" in response.text, path
    console.cookies.clear()
    signed_in(console, service.keys.create("ana", Role.ANALYST, principal=LOCAL_OPERATOR).key)
    assert console.get("/console/lists").status_code == 200
    assert console.get("/console/keys").status_code == 403


def test_sign_in_only_returns_to_console_pages(console: TestClient, service: HashDB) -> None:
    key = service.keys.create("ana", Role.ANALYST, principal=LOCAL_OPERATOR).key
    for target, expected in (
        ("/console/review", "/console/review"),
        ("//evil.example/console/", "/console/"),
        ("https://evil.example/console/", "/console/"),
        ("/v1/lists", "/console/"),
    ):
        console.cookies.clear()
        response = console.post(
            "/console/sign-in",
            data={"key": key, "csrf_token": csrf(console), "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected, target
    console.cookies.clear()
    wrong = console.post(
        "/console/sign-in", data={"key": "hdb_" + "x" * 43, "csrf_token": csrf(console)}
    )
    assert wrong.status_code == 401 and "not valid" in wrong.text


def test_errors_are_pages_with_the_api_status(app_for: object) -> None:
    client, service = app_for(max_upload_bytes=2000)  # type: ignore[operator]
    signed_in(client, service.keys.create("ana", Role.ANALYST, principal=LOCAL_OPERATOR).key)
    missing = client.get("/console/lists/nowhere")
    assert missing.status_code == 404 and "no list named" in missing.text
    assert "text/html" in missing.headers["content-type"]
    token = csrf(client, "/console/match")
    large = client.post(
        "/console/match", data={"csrf_token": token}, files={"file": ("big.jpg", jpeg(3))}
    )
    assert large.status_code == 413 and "text/html" in large.headers["content-type"]
    bad = client.post(
        "/console/lists", data={"csrf_token": token, "name": "x", "action": "explode"}
    )
    assert bad.status_code == 422 and "action" in bad.text


def test_without_keys_the_console_needs_no_sign_in(app_for: object) -> None:
    client, _ = app_for(auth=False)  # type: ignore[operator]
    page = client.get("/console/lists")
    assert page.status_code == 200 and "Sign out" not in page.text
    token = TOKEN.search(page.text)
    assert token is not None
    created = client.post(
        "/console/lists", data={"csrf_token": token.group(1), "name": "local", "action": "log"}
    )
    assert created.status_code == 200 and "List local" in created.text


def test_docs_load_their_assets_from_the_app(console: TestClient) -> None:
    html = console.get("/docs").text
    assets = re.findall(r"""(?:src|href)\s*[=:]\s*['"]([^'"]+)['"]""", html)
    assert assets and all(asset.startswith("/") for asset in assets), assets
    for asset in assets:
        if asset.startswith("/docs-static/"):
            assert console.get(asset).status_code == 200, asset
    assert "http://" not in html and "https://" not in html


def test_a_lists_matching_mode_is_shown_set_and_changed(app_for: object) -> None:
    client, service = app_for(auth=False)  # type: ignore[operator]
    token = TOKEN.search(client.get("/console/lists").text)
    assert token is not None
    created = client.post(
        "/console/lists",
        data={"csrf_token": token.group(1), "name": "digests", "matching_mode": "exact"},
    )
    assert created.status_code == 200 and "Matching mode" in created.text
    assert service.lists.get("digests", LOCAL_OPERATOR).matching_mode.value == "exact"
    assert "<td>exact</td>" in client.get("/console/lists").text
    changed = client.post(
        "/console/lists/digests",
        data={"csrf_token": token.group(1), "action": "block", "matching_mode": "hash"},
    )
    assert changed.status_code == 200
    assert service.lists.get("digests", LOCAL_OPERATOR).matching_mode.value == "hash"
    refused = client.post(
        "/console/lists/digests",
        data={"csrf_token": token.group(1), "action": "block", "matching_mode": "fuzzy"},
    )
    assert refused.status_code == 422 and "matching_mode" in refused.text


def test_a_control_character_in_any_form_field_is_refused_naming_it(
    console: TestClient, service: HashDB
) -> None:
    """On every console form post, on SQLite and on PostgreSQL (which cannot store a NUL)."""
    signed_in(console, service.keys.create("root", Role.ADMIN, principal=LOCAL_OPERATOR).key)
    posts = [
        route.path
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]
    token = csrf(console, "/console/lists")
    for path in posts:
        url = "/console" + path.replace("{name}", "x").replace("{item_id}", "1").replace(
            "{key_id}", "1"
        )
        for field in ("name", "note", "description"):
            form = {"csrf_token": token, field: "zq\x00bad"}
            answer = console.post(url, data=form, follow_redirects=False)
            assert answer.status_code == 422, (url, field, answer.status_code)
            assert f"{field}: control character" in answer.text, (url, field)
    assert service.store.lists() == []
