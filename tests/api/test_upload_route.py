"""An UploadRoute answers every request as FastAPI's own route of the same declaration does."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, File, Request, UploadFile
from fastapi.testclient import TestClient
from starlette.datastructures import FormData

from api import problems
from api.limits import BodyLimits
from api.metrics import Metrics
from api.middleware import RequestMiddleware
from api.responses import JSONAnswer
from api.routes.match import match_upload
from api.upload_route import IN_MEMORY, UploadRoute, _one_file
from hashdb.identity import Role
from hashdb.service import HashDB
from hashdb.testing.images import jpeg
from tests import event_loop
from tests.api.organisations import Caller, Deployment
from tests.api.twin_routes import serve_twice

PRIVATE = "zq-a-uploads"
SMALL = (320, 240)  # under the test's image limit; (1280, 960) is over it
LIMIT = 60_000
BOUNDARY = "zq-boundary"
FORM = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def _form(*parts: tuple[str, str | None, bytes], end: bytes = b"--\r\n") -> bytes:
    """A multipart body written out by hand: (field name, file name or None, data)."""
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += data + b"\r\n"
    return body + f"--{BOUNDARY}".encode() + end


def _requests(known: bytes, other: bytes) -> list[dict[str, Any]]:
    big = jpeg(3, (1280, 960))
    assert len(known) < LIMIT < len(big)
    one = _form(("file", "a.jpg", known))
    return [
        {"files": {"file": ("a.jpg", known, "image/jpeg")}},
        {"files": {"file": ("b.jpg", other)}},
        {"content": one, "headers": FORM},
        {"content": one, "headers": FORM, "params": {"lists": PRIVATE}},
        {"content": one, "headers": FORM, "params": {"lists": ["zq-missing", PRIVATE]}},
        {"content": one, "headers": FORM, "params": {"labels": "not-a-label"}},
        {"content": one, "headers": FORM, "params": {"labels": "type:zq-term"}},
        {"content": one, "headers": {"content-type": f"{FORM['content-type']}; charset=utf-8"}},
        {"content": iter([one[:100], one[100:]]), "headers": FORM},  # chunked, no length
        {"content": _form(("file", "a.jpg", known), ("note", None, b"x")), "headers": FORM},
        {"content": _form(("file", "a.jpg", known), ("file", "b.jpg", other)), "headers": FORM},
        {"content": _form(("upload", "a.jpg", known)), "headers": FORM},
        {"content": _form(("file", None, b"not a file")), "headers": FORM},
        {"content": _form(("file", "", known)), "headers": FORM},
        {"content": _form(("file", "a.jpg", b"")), "headers": FORM},
        {"content": _form(("file", "a.txt", b"plain text, not an image")), "headers": FORM},
        {"content": _form(("file", "a.jpg", known[: len(known) // 3])), "headers": FORM},
        {"content": _form(("file", "a.jpg", big)), "headers": FORM},
        {"content": one.replace(b"Content-Disposition", b"Content-Type"), "headers": FORM},
        {"content": b"garbage", "headers": FORM},
        {"content": one, "headers": {"content-type": "multipart/form-data"}},
        {"content": one, "headers": {"content-type": "application/json"}},
        {"content": b""},
    ]


class _BothPaths(BodyLimits):
    """The limits of ``/v1/match`` for ``/v1/plain/match`` as well."""

    def for_request(self, method: str, path: str) -> int:
        return super().for_request(method, path.replace("/plain/", "/", 1))


def _app(service: HashDB) -> FastAPI:
    """The match route twice, as the real app serves it: by UploadRoute, and by FastAPI."""
    app = FastAPI()
    app.state.hashdb = service
    app.state.metrics = Metrics(service)
    app.add_middleware(
        RequestMiddleware,
        limits=_BothPaths.of(service.settings),
        metrics=app.state.metrics,
        authenticate=service.keys.authenticate,
    )
    problems.install(app)
    return serve_twice(app, "/match", match_upload, ("/v1", UploadRoute), "/v1/plain")


def test_answers_as_fastapi_does(orgs: Deployment) -> None:
    analyst = orgs.a[Role.ANALYST]
    assert analyst.post("/v1/lists", json={"name": PRIVATE}).status_code == 201
    sharing = {"sharing": "private"}
    assert analyst.put(f"/v1/lists/{PRIVATE}/sharing", json=sharing).status_code == 200
    known, other = jpeg(1, SMALL), jpeg(2, SMALL)
    added = analyst.post(f"/v1/lists/{PRIVATE}/media", files={"file": ("a.jpg", known)})
    assert added.status_code == 201, added.text
    orgs.hub.settings.max_upload_bytes = LIMIT
    callers = [
        orgs.a[Role.PLATFORM],
        orgs.b[Role.PLATFORM],
        orgs.a[Role.ADMIN],
        orgs.operator,
        orgs.anonymous,
        Caller(orgs.client, "hdb_not-a-real-key-at-all", "bad key"),
    ]
    seen: set[int] = set()
    with TestClient(_app(orgs.hub), raise_server_exceptions=False) as client:
        for caller in callers:
            for request in _requests(known, other):
                headers = dict(request.get("headers", {}))
                if caller.key is not None:
                    headers["authorization"] = f"Bearer {caller.key}"
                if "content" in request and not isinstance(request["content"], bytes):
                    content = b"".join(request["content"])  # a fresh iterator for each
                    request = {**request, "content": iter([content[:100], content[100:]])}
                    again = {**request, "content": iter([content[:100], content[100:]])}
                else:
                    again = request
                lean = client.post("/v1/match", **{**request, "headers": headers})
                plain = client.post("/v1/plain/match", **{**again, "headers": headers})
                label = (caller.label, request.get("params"), lean.text[:200])
                assert lean.status_code == plain.status_code, label
                assert lean.text == plain.text, label
                assert lean.headers["content-type"] == plain.headers["content-type"]
                seen.add(lean.status_code)
    # Each kind of answer was met: the comparison above is not of errors alone.
    assert {200, 400, 401, 404, 413, 415, 422} <= seen, seen


def _read(body: bytes, headers: dict[str, str]) -> FormData | None:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    return event_loop.run(_one_file(Request(scope, receive)))


def test_a_plain_upload_is_read_in_memory_and_anything_else_left_to_fastapi() -> None:
    data = jpeg(1, SMALL)
    one = _form(("file", "a.jpg", data))
    form = _read(one, {**FORM, "content-length": str(len(one))})
    assert form is not None
    upload = form["file"]
    assert isinstance(upload, UploadFile) and upload.filename == "a.jpg"
    assert upload.file.read() == data and upload.size == len(data)
    # The boundary inside the data ends the part, as it does for Starlette: not one part.
    split = _form(("file", "a.jpg", data[:500] + f"\r\n--{BOUNDARY}\r\n".encode() + data[500:]))

    def sized(
        body: bytes, content_type: str = FORM["content-type"]
    ) -> tuple[bytes, dict[str, str]]:
        return body, {"content-type": content_type, "content-length": str(len(body))}

    for body, headers in [
        (one, FORM),  # no Content-Length
        sized(one, "multipart/form-data"),
        sized(one, f"{FORM['content-type']}; charset=utf-8"),
        sized(_form(("file", None, b"x"))),
        sized(_form(("file", "a", b"x"), ("note", None, b"y"))),
        sized(_form(("file", "a", b"x"), end=b"")),
        sized(split),
    ]:
        assert _read(body, headers) is None
    huge = {**FORM, "content-length": str(IN_MEMORY + 1)}
    assert _read(one, huge) is None


def test_a_shape_it_cannot_answer_is_refused_when_declared() -> None:
    async def with_path(name: str, file: UploadFile = File()) -> JSONAnswer:
        return JSONAnswer({})

    async def with_json(body: dict[str, int]) -> JSONAnswer:
        return JSONAnswer({})

    for path, endpoint in (("/x/{name}", with_path), ("/x", with_json)):
        router = APIRouter(route_class=UploadRoute)
        with pytest.raises(TypeError, match="upload route"):
            router.post(path)(endpoint)
