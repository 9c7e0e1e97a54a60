"""Rendering console pages: one Jinja2 environment, the values every page uses, and the
small formatting filters (hashes, times) templates share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse

from api.console.drawing import evidence_drawing
from api.console.viewer import CSRF_FIELD, Viewer

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
#: Pictures are shown sharp and in colour at once when this cookie says so (the viewer's
#: choice on the settings page); blurred and greyscale until clicked otherwise.
REVEAL_COOKIE = "hashdb_console_reveal"

templates = Jinja2Templates(directory=TEMPLATES)  # autoescapes .html templates


def short(value: str | None, length: int = 16) -> str:
    """The start of a long hash, for tables (the full value is in the title attribute)."""
    if not value:
        return ""
    return value if len(value) <= length else value[:length] + "…"


def when(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["short"] = short
templates.env.filters["when"] = when
templates.env.globals["csrf_field"] = CSRF_FIELD
templates.env.globals["evidence_drawing"] = evidence_drawing


def base(request: Request) -> str:
    """The console's own path prefix (``/console`` behind any proxy prefix)."""
    return str(request.scope.get("root_path", ""))


def page(
    request: Request,
    template: str,
    viewer: Viewer | None,
    status_code: int = 200,
    /,
    **context: Any,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {
            "viewer": viewer,
            "base": base(request),
            "reveal": request.cookies.get(REVEAL_COOKIE) == "1",
            **context,
        },
        status_code=status_code,
    )


def back(request: Request, path: str, **query: str | int) -> RedirectResponse:
    """See-other to a console page after a form post (so a reload does not post again)."""
    target = base(request) + path
    if query:
        target += "?" + urlencode(query)
    return RedirectResponse(target, status_code=303)
