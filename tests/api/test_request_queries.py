"""A lookup through the API when nothing changed costs no database round trip: the key check
is cached, the caller's scope and the index are followed by the change watcher."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from hashdb.settings import Settings

VALUE = "5d41402abc4b2a76b9719d911017c592"


def test_a_lookup_when_nothing_changed_reaches_no_database(db_url: str) -> None:
    service = HashDB(Settings(db=db_url, auth_cache_seconds=60))
    try:
        service.organisations.create("acme", principal=LOCAL_OPERATOR)
        key = service.keys.create(
            "uploads", Role.PLATFORM, organisation="acme", principal=LOCAL_OPERATOR
        ).key
        analyst = service.keys.create(
            "ana", Role.ANALYST, organisation="acme", principal=LOCAL_OPERATOR
        ).key
        statements: list[str] = []

        def record(*args: object) -> None:
            # Not the background threads' own reads: the change watcher's, the statistics check's.
            if threading.current_thread().name not in ("hashdb-changes", "hashdb-statistics"):
                statements.append(str(args[2]))

        engine = service.store.engine  # type: ignore[attr-defined]
        with TestClient(create_app(service=service)) as client:
            client.post(
                "/v1/lists", json={"name": "known"}, headers={"Authorization": f"Bearer {analyst}"}
            )
            body = {"hashes": [{"algorithm": "md5", "value": VALUE}]}
            added = client.post(
                "/v1/lists/known/hashes",
                json={**body, "label": "x"},
                headers={"Authorization": f"Bearer {analyst}"},
            )
            assert added.status_code == 201, added.text
            headers = {"Authorization": f"Bearer {key}"}
            for _ in range(3):  # warm: the key is checked once, the index loaded once
                assert client.post("/v1/lookup", json=body, headers=headers).json()["results"][0][
                    "matched"
                ]
            sa.event.listen(engine, "before_cursor_execute", record)
            try:
                for _ in range(30):
                    response = client.post("/v1/lookup", json=body, headers=headers)
                    assert response.json()["results"][0]["matched"]
            finally:
                sa.event.remove(engine, "before_cursor_execute", record)
        assert statements == [], statements[:5]
    finally:
        service.close()
