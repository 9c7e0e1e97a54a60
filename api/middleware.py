"""One pure-ASGI middleware for every request: request id, body-size limit, metrics, access log.

Pure ASGI (not ``BaseHTTPMiddleware``) so it adds microseconds, not a task per request, and
can refuse an oversized body from its ``Content-Length`` before a byte of it is read.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import request_id
from api.metrics import Metrics
from api.problems import PROBLEM_JSON
from hashdb.errors import InvalidValue
from hashdb.store.models.text import check_text

log = logging.getLogger("hashdb.access")

#: Multipart framing and form fields on top of the file itself.
BODY_SLACK = 64 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _control_in_query(scope: Scope) -> str | None:
    """Why a query parameter is refused (a control character in it), or None."""
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    if "%" not in query:
        return None  # a raw control character cannot reach here: HTTP parsers refuse it
    for name, value in parse_qsl(query, keep_blank_values=True):
        try:
            check_text(name, value)
        except InvalidValue as error:
            return error.message
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body = max_body + BODY_SLACK
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            length = _header(scope, b"content-length")
            bad_parameter = _control_in_query(scope)
            if bad_parameter is not None:
                await _send_problem(send_with_id, 422, "invalid_value", bad_parameter)
            elif length is not None and length.isdigit() and int(length) > self.max_body:
                await self._too_large(int(length), send_with_id)
            else:
                await self.app(scope, self._limited(receive), send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(route=template, method=method, status=str(status)).inc()
            self.metrics.latency.labels(route=template, method=method).observe(elapsed)
            principal = state.get("principal")
            log.info(
                "request",
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "caller": getattr(principal, "name", None),
                },
            )
            request_id.reset(token)

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body

        async def guarded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes through FastAPI's body parsing untouched.
                    raise HTTPException(
                        413, f"request body over the limit of {limit - BODY_SLACK} bytes"
                    )
            return message

        return guarded

    async def _too_large(self, length: int, send: Send) -> None:
        limit = self.max_body - BODY_SLACK
        detail = f"request body of {length} bytes is over the limit of {limit}"
        await _send_problem(send, 413, "upload_too_large", detail, details={"limit": limit})


async def _send_problem(send: Send, status: int, code: str, detail: str, **extra: Any) -> None:
    """A problem answer sent before the app ran (and before the body was read: the
    connection is closed after it)."""
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
