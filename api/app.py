"""``create_app(settings)``: tests build their own app; ``hashdb serve`` uses the factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import hashdb
from api import docs, problems
from api.console import console_app
from api.metrics import Metrics
from api.middleware import RequestMiddleware
from api.routes import (
    audit,
    entries,
    exchange,
    feedback,
    health,
    items,
    keys,
    labels,
    lists,
    lookup,
    match,
    review,
    sharing,
)
from hashdb.service import HashDB
from hashdb.settings import Settings


def create_app(settings: Settings | None = None, service: HashDB | None = None) -> FastAPI:
    service = service or HashDB(settings or Settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.warm_up()  # load the indexes and the hashers before taking traffic
        yield
        service.close()

    app = FastAPI(
        title="hashdb",
        version=hashdb.__version__,
        summary="Perceptual-hash media blocklist with explainable matches.",
        lifespan=lifespan,
        # Served from the app's own files by api.docs (the defaults load them from a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.hashdb = service
    app.state.metrics = Metrics(service)
    app.add_middleware(
        RequestMiddleware,
        # The larger of the two limits; read_upload applies the one for the media's kind.
        max_body=max(service.settings.max_upload_bytes, service.settings.video_max_bytes),
        metrics=app.state.metrics,
    )
    problems.install(app)
    docs.install(app)
    app.include_router(health.router)
    # Every /v1 route needs a key and touches the database: document those answers once.
    for module in (
        match,
        lookup,
        lists,
        entries,
        items,
        audit,
        keys,
        sharing,
        labels,
        review,
        feedback,
        exchange,
    ):
        app.include_router(module.router, responses=problems.AUTHENTICATED_ERRORS)
    app.mount("/console", console_app(service), name="console")
    return app
