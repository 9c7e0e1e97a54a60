"""The analyst console: server-rendered pages over the same service calls as the JSON API.

Mounted by :func:`api.app.create_app` at ``/console`` as its own small app, so it has its own
middleware (the signed session and security headers), its own error pages and its own static
files, while the API's request middleware (size limits, metrics, access log) covers it too.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api.console import errors
from api.console.render import STATIC
from api.console.routes import (
    account,
    adding,
    audit,
    items,
    keys,
    lists,
    review,
    tester,
    thumbnails,
)
from api.console.session import SessionMiddleware
from api.console.viewer import csrf_protect
from hashdb.service import HashDB

#: Every page's routes, by area.
ROUTERS = tuple(
    module.router
    for module in (account, lists, items, adding, review, tester, audit, keys, thumbnails)
)


def console_app(service: HashDB) -> FastAPI:
    settings = service.settings
    secret = (
        settings.console_secret.get_secret_value()
        if settings.console_secret is not None
        else secrets.token_urlsafe(32)  # this process only: sessions end when it stops
    )
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.hashdb = service
    app.add_middleware(
        SessionMiddleware, secret=secret, max_age=settings.console_session_hours * 3600
    )
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Every form post of every page passes the CSRF check: it sits on the router, not on
    # each route.
    pages = APIRouter(dependencies=[Depends(csrf_protect)])
    for router in ROUTERS:
        pages.include_router(router)
    app.include_router(pages)
    return app
