"""The OpenAPI page (``/docs``, Swagger UI) from the app's own files.

FastAPI's default loads Swagger UI from a CDN, so the page is blank offline (and tells a third
party who reads the API docs). The ``fastapi-offline`` package ships the same files
(swagger-ui-dist) on PyPI; only its static folder is used, served at ``/docs-static`` with
FastAPI's own page builder. ReDoc is not served: its bundle loads a logo from its vendor's CDN
whatever it is told, and ``/openapi.json`` serves any other viewer.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

ASSETS = "/docs-static"


def install(app: FastAPI) -> None:
    app.mount(
        ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-static"
    )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            # No validator badge: it would send the spec's address to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
