"""One endpoint served twice in a test app: by a route class of hashdb's own and by FastAPI's
plain ``APIRoute``, so a test can send every request to both and compare the answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute


def serve_twice(
    app: FastAPI,
    path: str,
    endpoint: Callable[..., Any],
    own: tuple[str, type[APIRoute]],
    plain: str,
) -> FastAPI:
    """``endpoint`` as ``POST own[0] + path`` by the route class ``own[1]`` and as
    ``POST plain + path`` by FastAPI's own route."""
    for prefix, route_class in (own, (plain, APIRoute)):
        router = APIRouter(prefix=prefix, route_class=route_class)
        router.post(path)(endpoint)
        app.include_router(router)
    return app
