"""A LeanRoute answers every request as FastAPI's own route of the same declaration does."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.testclient import TestClient

from api import problems
from api.deps import AnalystDep, ServiceDep
from api.models.lookup import LookupRequest
from api.responses import JSONAnswer
from api.routing import LeanRoute
from hashdb.identity import Principal, Role
from hashdb.service import HashDB
from tests.api.twin_routes import serve_twice

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
JSON = {"content-type": "application/json"}

BODIES: list[dict[str, Any]] = [
    {"json": {"hashes": [{"algorithm": "pdq", "value": PDQ}], "lists": ["a"]}},
    {"content": b'{"hashes": [', "headers": JSON},
    {"content": b"", "headers": JSON},
    {"content": b'{"hashes": []}', "headers": {"content-type": "text/plain"}},
    {"content": b'{"hashes": []}', "headers": {"content-type": "application/x+json; q=1"}},
    {"content": b'{"hashes": "\xff"}', "headers": JSON},
    {"json": [1, 2]},
    {"json": {"hashes": [{"algorithm": "pdq", "value": "zz"}]}},
    {"json": {"hashes": [{"algorithm": "pdq", "value": PDQ}], "extra": 1}},
    {"json": {"hashes": [{"algorithm": "pdq", "value": PDQ}], "lists": ["a\u0001"]}},
]


async def echo(
    request: Request, body: LookupRequest, service: ServiceDep, caller: AnalystDep
) -> JSONAnswer:
    assert isinstance(service, HashDB) and isinstance(caller, Principal)
    return JSONAnswer({"path": request.url.path, "caller": caller.name, "hashes": len(body.hashes)})


def _app(service: HashDB) -> FastAPI:
    app = FastAPI()
    app.state.hashdb = service
    problems.install(app)
    return serve_twice(app, "/echo", echo, ("/lean", LeanRoute), "/plain")


def test_answers_as_fastapi_does(service: HashDB, api_keys: dict[Role, str]) -> None:
    with TestClient(_app(service), raise_server_exceptions=False) as client:
        for key in (None, "hdb_not_a_key", api_keys[Role.PLATFORM], api_keys[Role.ANALYST]):
            auth = {} if key is None else {"Authorization": f"Bearer {key}"}
            for body in BODIES:
                headers = {**body.get("headers", {}), **auth}
                request = {**body, "headers": headers}
                lean = client.post("/lean/echo", **request)
                plain = client.post("/plain/echo", **request)
                assert lean.status_code == plain.status_code, (key, body, lean.text)
                expected = plain.text.replace("/plain/", "/lean/")
                assert lean.text == expected, (key, body)
                assert lean.headers["content-type"] == plain.headers["content-type"]
        # Each kind of answer was met: the comparison above is not of errors alone.
        ok = client.post("/lean/echo", headers=auth, **BODIES[0])
        assert ok.status_code == 200 and ok.json()["hashes"] == 1


def test_a_shape_it_cannot_answer_is_refused_when_declared() -> None:
    async def with_query(body: LookupRequest, q: Annotated[str, Query()]) -> JSONAnswer:
        return JSONAnswer({})

    async def with_nested(body: LookupRequest, x: Annotated[int, Depends(lambda: 1)]) -> JSONAnswer:
        return JSONAnswer({})

    for endpoint in (with_query, with_nested):
        router = APIRouter(route_class=LeanRoute)
        with pytest.raises(TypeError, match="lean route"):
            router.post("/x")(endpoint)
