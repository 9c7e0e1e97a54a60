"""Every error becomes an RFC 9457 ``application/problem+json`` response, mapped here once."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.models.hashes import HASH_ERROR_CODES
from hashdb.errors import HashDBError, Unauthorized

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("hashdb.api")


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


PROBLEM_SCHEMA: dict[str, Any] = {
    "description": "An RFC 9457 problem document",
    "content": {
        PROBLEM_JSON: {
            "schema": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["type", "title", "status", "detail", "code"],
            }
        }
    },
}


#: What any authenticated route may answer besides its own errors.
AUTHENTICATED_ERRORS: dict[int | str, dict[str, Any]] = {
    status: PROBLEM_SCHEMA for status in (401, 403, 422, 503)
}


def install(app: FastAPI) -> None:
    @app.exception_handler(HashDBError)
    async def _hashdb_error(_request: Request, error: HashDBError) -> JSONResponse:
        extra = {"details": error.details} if error.details else {}
        response = problem(error.http_status, error.code, error.message, **extra)
        if isinstance(error, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer realm="hashdb"'
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(part) for part in e.get("loc", ())), "message": e.get("msg", "")}
            for e in error.errors()
        ]
        fields = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        kinds = {str(e.get("type", "")) for e in error.errors()}
        code = kinds.pop() if len(kinds) == 1 and kinds <= HASH_ERROR_CODES else "invalid_request"
        return problem(422, code, f"invalid request: {fields}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "upload_too_large",
            415: "unsupported_media_type",
        }.get(error.status_code, "http_error")
        return problem(error.status_code, code, str(error.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=error)
        return problem(500, "internal_error", "internal error; it has been logged")
