"""Property-based run of schemathesis against the app's own OpenAPI schema, in-process.

Every operation gets generated valid and invalid requests with an admin key; no response may
be a 5xx, and every response must match its documented status, content type and schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing.images import jpeg


@pytest.fixture
def fuzz_app(db_url: str) -> Iterator[tuple[FastAPI, str]]:
    """The app on SQLite and on PostgreSQL (fewer examples each, so both fit the time one
    took)."""
    service = HashDB(Settings(db=db_url, max_upload_bytes=200_000))
    service.adding.media(
        "terror", jpeg(1), EntryMetadata(label="seed", added_by="fixture"), principal=LOCAL_OPERATOR
    )
    key = service.keys.create("fuzzer", Role.ADMIN, principal=LOCAL_OPERATOR).key
    yield create_app(service=service), key
    service.close()


@pytest.mark.slow
def test_api_conforms_to_its_schema(fuzz_app: tuple[FastAPI, str]) -> None:
    # The operations are driven here rather than through schemathesis' pytest plugin, whose
    # lazy fixture loader does not support pytest 9 yet.
    app, key = fuzz_app
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {key}"}
    tested = []
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,  # per backend
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            # Schema-valid is not always valid: random bytes are not an image (415/422), a
            # random hash is often degenerate. Every other check runs, including that invalid
            # requests are rejected and that no response is a 5xx.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()
        tested.append(operation.label)
    assert "POST /v1/lookup" in tested and "POST /v1/match" in tested
