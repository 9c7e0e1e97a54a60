"""Signing in and out, the start page, and the viewer's own setting (blurred pictures)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from api.console.render import REVEAL_COOKIE, back, base, page
from api.console.session import session_of
from api.console.viewer import ViewerDep, service_of
from hashdb.errors import Unauthorized
from hashdb.identity import Role

router = APIRouter()

#: A year: the picture setting outlives sessions (it is this browser's viewer's choice).
_SETTING_AGE = 365 * 24 * 3600


@router.get("/")
def start(request: Request, viewer: ViewerDep) -> Response:
    service = service_of(request)
    if not viewer.has(Role.ANALYST):
        return back(request, "/match")  # a platform key can only test matching
    pending = service.review.queue(viewer.principal, limit=1000)
    lists = service.lists.visible(viewer.principal)
    return page(request, "start.html", viewer, pending=len(pending), lists=len(lists))


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "") -> Response:
    session = session_of(request.scope)
    if not service_of(request).settings.auth:
        return back(request, "/")
    return page(
        request,
        "sign_in.html",
        None,
        csrf=session.csrf,
        next=_local(request, next),
        notice=session.notice,
        error=None,
        hours=service_of(request).settings.console_session_hours,
    )


@router.post("/sign-in")
def sign_in(
    request: Request,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    service = service_of(request)
    session = session_of(request.scope)
    try:
        record = service.keys.identify(key.strip())
    except Unauthorized as refused:
        return page(
            request,
            "sign_in.html",
            None,
            401,
            csrf=session.csrf,
            next=_local(request, next),
            notice=None,
            error=refused.message,
            hours=service.settings.console_session_hours,
        )
    session.sign_in(record.id)
    return Response(status_code=303, headers={"location": _local(request, next)})


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    session_of(request.scope).sign_out("You signed out.")
    return back(request, "/sign-in")


@router.get("/settings")
def settings_page(request: Request, viewer: ViewerDep) -> Response:
    return page(request, "settings.html", viewer)


@router.post("/settings")
def save_settings(
    request: Request,
    viewer: ViewerDep,
    reveal: Annotated[bool, Form()] = False,
) -> Response:
    response = back(request, "/settings", done="saved")
    response.set_cookie(
        REVEAL_COOKIE,
        "1" if reveal else "0",
        max_age=_SETTING_AGE,
        path=base(request) or "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def _local(request: Request, target: str) -> str:
    """A page of this console to go to after signing in; anything else (another host, a
    scheme-relative ``//`` URL) goes to the start page."""
    home = base(request) + "/"
    if target.startswith(home) and not target.startswith("//") and "\\" not in target:
        return target
    return home
