"""``create_app(settings)``: tests build their own app; ``hashdb serve`` uses the factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import hashdb
from api import problems
from api.routes import health, match
from hashdb.service import HashDB
from hashdb.settings import Settings


def create_app(settings: Settings | None = None, service: HashDB | None = None) -> FastAPI:
    service = service or HashDB(settings or Settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.matcher.refresh(force=True)  # load the index before taking traffic
        service.video_matcher.refresh(force=True)  # and the video frame index
        yield
        service.close()

    app = FastAPI(
        title="hashdb",
        version=hashdb.__version__,
        summary="Perceptual-hash media blocklist with explainable matches.",
        lifespan=lifespan,
    )
    app.state.hashdb = service
    problems.install(app)
    app.include_router(health.router)
    app.include_router(match.router)
    return app
