"""API keys and roles: 401 without a valid key, 403 without the role, keys stored hashed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.store import schema
from hashdb.testing.images import jpeg
from tests.api.conftest import auth

LOOKUP = {"hashes": [{"algorithm": "md5", "value": "0" * 31 + "1"}]}


def test_no_key_is_401_with_bearer_challenge(app_client: TestClient) -> None:
    response = app_client.post("/v1/lookup", json=LOOKUP)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    ["Bearer hdb_not-a-real-key-at-all-000000000000000", "Bearer nope", "Basic dXNlcjpwYXNz"],
)
def test_wrong_keys_are_401(app_client: TestClient, header: str) -> None:
    response = app_client.post("/v1/lookup", json=LOOKUP, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_a_key_with_the_right_prefix_but_wrong_secret_is_401(
    app_client: TestClient, api_keys: dict[Role, str]
) -> None:
    real = api_keys[Role.ADMIN]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    assert app_client.get("/v1/keys", headers=auth(forged)).status_code == 401
    assert app_client.get("/v1/keys", headers=auth(real)).status_code == 200


@pytest.mark.parametrize(
    ("role", "path", "allowed"),
    [
        (Role.PLATFORM, "/v1/lists", False),
        (Role.PLATFORM, "/v1/audit", False),
        (Role.ANALYST, "/v1/lists", True),
        (Role.ANALYST, "/v1/audit", True),
        (Role.ANALYST, "/v1/keys", False),
        (Role.ADMIN, "/v1/keys", True),
        (Role.ADMIN, "/v1/lists", True),
    ],
)
def test_roles(
    app_client: TestClient, api_keys: dict[Role, str], role: Role, path: str, allowed: bool
) -> None:
    response = app_client.get(path, headers=auth(api_keys[role]))
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert response.json()["code"] == "forbidden"


def test_platform_can_match_and_lookup(app_client: TestClient, api_keys: dict[Role, str]) -> None:
    headers = auth(api_keys[Role.PLATFORM])
    assert app_client.post("/v1/lookup", json=LOOKUP, headers=headers).status_code == 200
    response = app_client.post("/v1/match", files={"file": ("x.jpg", jpeg(1))}, headers=headers)
    assert response.status_code == 200


def test_revoked_key_stops_working_at_once(
    app_client: TestClient, api_keys: dict[Role, str], service: HashDB
) -> None:
    admin = auth(api_keys[Role.ADMIN])
    created = app_client.post("/v1/keys", json={"name": "p", "role": "platform"}, headers=admin)
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert key.startswith("hdb_") and body["prefix"] == key[:12]
    assert app_client.post("/v1/lookup", json=LOOKUP, headers=auth(key)).status_code == 200
    revoked = app_client.post(f"/v1/keys/{body['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "test-admin"
    after = app_client.post("/v1/lookup", json=LOOKUP, headers=auth(key))
    assert after.status_code == 401 and "revoked" in after.json()["detail"]
    again = app_client.post(f"/v1/keys/{body['id']}/revoke", headers=admin)
    assert again.status_code == 409
    listed = app_client.get("/v1/keys", headers=admin).json()
    assert all("key" not in item and "key_hash" not in item for item in listed)
    actions = [
        record.action
        for record in service.audit.records(target_type="key", principal=LOCAL_OPERATOR)
    ]
    assert actions.count("key.create") == 4 and actions.count("key.revoke") == 1


def test_keys_are_stored_hashed_never_in_clear(sqlite_url: str) -> None:
    """The whole SQLite file, dumped, does not hold the key."""
    service = HashDB(Settings(db=sqlite_url))
    created = service.keys.create(
        "someone", Role.ANALYST, organisation="org-a", principal=LOCAL_OPERATOR
    )
    engine = sa.create_engine(f"sqlite:///{service.settings.db}")
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(sa.select(schema.api_keys))]
        dump = "\n".join(connection.connection.iterdump())  # type: ignore[attr-defined]
    engine.dispose()
    assert created.key not in dump
    assert rows[0]["key_hash"] == hashlib.sha256(created.key.encode()).hexdigest()
    principal = service.keys.authenticate(created.key)
    assert (principal.name, principal.role, principal.organisation) == (
        "someone",
        Role.ANALYST,
        "org-a",
    )
    service.close()


@pytest.fixture
def open_client(sqlite_url: str) -> Iterator[TestClient]:
    service = HashDB(Settings(db=sqlite_url, auth=False))
    with TestClient(create_app(service=service)) as test_client:
        yield test_client


def test_auth_can_be_switched_off_for_local_development(open_client: TestClient) -> None:
    assert open_client.get("/v1/keys").status_code == 200
    assert open_client.post("/v1/lookup", json=LOOKUP).status_code == 200


def test_auth_is_on_by_default() -> None:
    assert Settings().auth is True
