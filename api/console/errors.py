"""Errors as pages: the same hashdb errors the API answers as problem+json, shown to a person
with the same status and message (never a traceback), and the sign-in redirect."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.console.render import base, page
from api.console.viewer import CSRFRefused, SignInRequired
from hashdb.errors import HashDBError

_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media",
    422: "Not accepted",
    503: "Unavailable",
}


def _error_page(request: Request, status: int, message: str, code: str) -> Response:
    title = _TITLES.get(status, "Error")
    return page(request, "error.html", None, status, title=title, message=message, code=code)


def install(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, error: SignInRequired) -> Response:
        target = f"{base(request)}/sign-in?next={quote(error.next_path, safe='/')}"
        return Response(status_code=303, headers={"location": target})

    @app.exception_handler(CSRFRefused)
    async def _csrf(request: Request, error: CSRFRefused) -> Response:
        return _error_page(request, 403, str(error), "csrf_refused")

    @app.exception_handler(HashDBError)
    async def _hashdb_error(request: Request, error: HashDBError) -> Response:
        return _error_page(request, error.http_status, error.message, error.code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        fields = "; ".join(
            f"{'.'.join(str(part) for part in e.get('loc', ())[1:])}: {e.get('msg', '')}"
            for e in error.errors()
        )
        return _error_page(request, 422, f"the form is not valid: {fields}", "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        return _error_page(request, error.status_code, str(error.detail), "http_error")
