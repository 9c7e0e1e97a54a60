from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from hashdb.service import HashDB


@pytest.fixture
def client(service: HashDB) -> Iterator[TestClient]:
    with TestClient(create_app(service=service)) as test_client:
        yield test_client
