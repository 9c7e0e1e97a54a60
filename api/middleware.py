"""One pure-ASGI middleware for every request: request id, API key, body-size limit, metrics,
access log.

Pure ASGI (not ``BaseHTTPMiddleware``) so it adds microseconds, not a task per request, and
answers before a byte of the body is read: a ``/v1`` request without a valid key (401), and a
body whose ``Content-Length`` is over its route's limit (413, ``api.limits``). A body sent
without a length is cut off as soon as it passes the limit.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import NO_KEY, bearer_key
from api.limits import BodyLimits
from api.logs import request_id
from api.metrics import Metrics
from api.problems import PROBLEM_JSON
from hashdb.errors import HashDBError, InvalidValue, Unauthorized
from hashdb.identity import Principal
from hashdb.store.models.text import check_text

log = logging.getLogger("hashdb.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _control_in_query(scope: Scope) -> HashDBError | None:
    """Why a query parameter is refused (a control character in it), or None."""
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    if "%" not in query:
        return None  # a raw control character cannot reach here: HTTP parsers refuse it
    for name, value in parse_qsl(query, keep_blank_values=True):
        try:
            check_text(name, value)
        except InvalidValue as error:
            return error
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: BodyLimits,
        metrics: Metrics,
        authenticate: Callable[[str], Principal] | None,
    ) -> None:
        """``authenticate``: the key check of ``/v1`` requests (None: authentication off)."""
        self.app = app
        self.limits = limits
        self.metrics = metrics
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        # 32 random hex digits, as uuid4().hex gave, without building a UUID object.
        rid = incoming if incoming and _REQUEST_ID.match(incoming) else os.urandom(16).hex()
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
            limit = self.limits.for_request(str(scope.get("method", "")), str(scope["path"]))
            length = _header(scope, b"content-length")
            refused = self._check_key(scope, state) or _control_in_query(scope)
            if refused is not None:
                await _send_error(send_with_id, refused)
            elif length is not None and length.isdigit() and int(length) > limit:
                await _too_large(int(length), limit, send_with_id)
            else:
                await self.app(scope, _limited(receive, limit), send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = str(scope.get("method", ""))
            self.metrics.count_request(template, method, status, elapsed)
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

    def _check_key(self, scope: Scope, state: dict[str, Any]) -> HashDBError | None:
        """Why a ``/v1`` request is refused before its body is read (no valid key), or None;
        the caller it names is kept for the route (``api.deps.identify``)."""
        if self.authenticate is None or not str(scope["path"]).startswith("/v1/"):
            return None
        key = bearer_key(_header(scope, b"authorization"))
        if key is None:
            return Unauthorized(NO_KEY)
        try:
            state["principal"] = self.authenticate(key)
        except HashDBError as error:
            return error
        return None


def _limited(receive: Receive, limit: int) -> Receive:
    received = 0

    async def guarded() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                # An HTTPException passes through FastAPI's body parsing untouched.
                raise HTTPException(413, f"request body over the limit of {limit} bytes")
        return message

    return guarded


async def _too_large(length: int, limit: int, send: Send) -> None:
    detail = f"request body of {length} bytes is over this route's limit of {limit}"
    await _send_problem(send, 413, "upload_too_large", detail, details={"limit": limit})


async def _send_error(send: Send, error: HashDBError) -> None:
    extra = {"details": error.details} if error.details else {}
    headers = [(b"www-authenticate", b'Bearer realm="hashdb"')] if error.http_status == 401 else []
    await _send_problem(send, error.http_status, error.code, error.message, headers, **extra)


async def _send_problem(
    send: Send,
    status: int,
    code: str,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extra: Any,
) -> None:
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
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
