"""``LeanRoute``: a route answered without FastAPI's general per-request machinery.

FastAPI declares a route once (its parameters, body model, security and answers make the
OpenAPI schema) and then, on every request, walks the route's dependency tree, parses the
``Content-Type`` with the ``email`` package, records telemetry and builds error contexts:
about a fifth of a one-hash lookup's time in the app, more than half as much as the lookup
itself. A route of the one simple shape the hot paths have is answered here by a handler
built once from the same declaration:

- a JSON body of one model (the body, as FastAPI reads it: same 422 errors, field paths
  included, through FastAPI's own ``request_body_to_args``);
- dependencies that take only the request (``api.deps``: the service, the caller);
- optionally the ``Request`` itself;
- an endpoint that returns a ``Response``.

The order is FastAPI's: a body that is not JSON is refused first, then the dependencies run
(401 and 403 before a 422 for the body's fields), then the body is validated. Any other
shape is refused when the route is declared (it would need FastAPI's general solver), and
``app.dependency_overrides`` does not apply to these routes.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic_core import PydanticUndefined
from starlette.exceptions import HTTPException

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        dependant = self.dependant
        call = dependant.call
        if call is None or not is_async(call):
            raise TypeError(f"{self.path}: a lean route's endpoint must be async")
        if dependant.path_params or dependant.query_params or dependant.header_params:
            raise TypeError(f"{self.path}: a lean route takes no path, query or header values")
        if dependant.cookie_params or len(dependant.body_params) != 1 or self._embed_body_fields:
            raise TypeError(f"{self.path}: a lean route takes one JSON body model")
        dependencies = [request_only(self.path, sub) for sub in dependant.dependencies]
        body_fields = dependant.body_params
        request_name = dependant.request_param_name

        async def handle(request: Request) -> Response:
            body = await _json_body(request)
            values: dict[str, Any] = {}
            for name, solve in dependencies:
                values[name] = await solve(request)
            parsed, errors = await request_body_to_args(
                body_fields=body_fields, received_body=body, embed_body_fields=False
            )
            if errors:
                raise RequestValidationError(errors, body=body)
            values.update(parsed)
            if request_name is not None:
                values[request_name] = request
            answer = await call(**values)
            if not isinstance(answer, Response):
                raise TypeError(f"{self.path}: a lean route's endpoint must return a Response")
            return answer

        return handle


def request_only(path: str, sub: Dependant) -> tuple[str, Callable[[Request], Awaitable[Any]]]:
    """A dependency that needs only the request, called as ``await call(request)``."""
    call = sub.call
    if (
        sub.name is None
        or call is None
        or sub.dependencies
        or sub.body_params
        or sub.path_params
        or sub.query_params
        or sub.header_params
        or sub.cookie_params
        or not is_async(call)
        or sub.request_param_name is None
    ):
        raise TypeError(f"{path}: a lean route's dependencies take only the request")
    return sub.name, call


def is_async(call: Any) -> bool:
    """A coroutine function, or an object whose ``__call__`` is one (``api.deps.Caller``)."""
    return inspect.iscoroutinefunction(call) or (
        callable(call) and inspect.iscoroutinefunction(type(call).__call__)
    )


async def _json_body(request: Request) -> Any:
    """The body as FastAPI hands it to validation: parsed JSON, the raw bytes when it is not
    declared JSON, or nothing (a missing body) when empty; malformed JSON is a 422 at once,
    a body that cannot be read or decoded a 400."""
    try:
        raw = await request.body()
        if not raw:
            return PydanticUndefined
        if not _declares_json(request.headers.get("content-type")):
            return raw
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": error.msg},
                }
            ],
            body=error.doc,
        ) from error
    except HTTPException:
        raise  # the body over its route's limit (api.middleware): 413
    except Exception as error:
        raise HTTPException(400, "There was an error parsing the body") from error


def _declares_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``, parameters aside (FastAPI's rule)."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    maintype, _, subtype = media.partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))
