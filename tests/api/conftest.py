from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from tests.api.organisations import Deployment, Private, deployment, make_private


@pytest.fixture
def api_keys(service: HashDB) -> dict[Role, str]:
    """One real API key per role, created through the service."""
    return {
        role: service.keys.create(f"test-{role.value}", role, principal=LOCAL_OPERATOR).key
        for role in Role
    }


@pytest.fixture
def app_client(service: HashDB) -> Iterator[TestClient]:
    """A client without credentials."""
    with TestClient(create_app(service=service)) as test_client:
        yield test_client


@pytest.fixture
def client(app_client: TestClient, api_keys: dict[Role, str]) -> TestClient:
    """A client with a platform key: what a platform calling the match routes has."""
    app_client.headers["Authorization"] = f"Bearer {api_keys[Role.PLATFORM]}"
    return app_client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def orgs(db_url: str) -> Iterator[Deployment]:
    """Organisations A and B with a key of every role and an operator key, on SQLite and on
    PostgreSQL, with authentication on (tests/api/organisations.py)."""
    yield from deployment(db_url)


@pytest.fixture
def private(orgs: Deployment) -> Private:
    """Organisation A's private list, entries, feedback, review items, import and key."""
    return make_private(orgs)
