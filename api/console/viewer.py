"""Who is looking: the signed-in key's principal, re-checked on every request, and the CSRF
check every form post passes through.

The role and organisation come from the key's record, exactly as the API's ``get_principal``
takes them, and the principal is handed to every service call: the console decides nothing
about access itself, it only hides links the service would refuse anyway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from api.console.session import Session, session_of
from api.models.common import LINES
from hashdb.errors import Forbidden, Unauthorized
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import HashDB
from hashdb.store.models.text import check_text

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequired(Exception):
    """No signed-in key: the console answers with the sign-in page (a redirect to it)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CSRFRefused(Exception):
    """A form post without this session's CSRF token, or from another site."""


@dataclass(frozen=True)
class Viewer:
    """The principal the console acts for, and the session's CSRF token for its forms."""

    principal: Principal
    session: Session
    #: False when the deployment runs without keys (``HASHDB_AUTH=false``): nobody signs in.
    signed_in: bool

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def has(self, role: Role) -> bool:
        return self.principal.has(role)


def service_of(request: Request) -> HashDB:
    service = request.app.state.hashdb
    assert isinstance(service, HashDB)
    return service


async def csrf_protect(request: Request) -> None:
    """Every unsafe request needs this session's token (form field or header) and, when the
    browser says where it came from, must come from this console's own origin."""
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") != _origin(request):
        raise CSRFRefused(f"a form from {origin} cannot post to this console")
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        form = await request.form()  # parsed once: the route's Form and File fields reuse it
        field = form.get(CSRF_FIELD)
        token = field if isinstance(field, str) else None
    if not session_of(request.scope).check_csrf(token):
        raise CSRFRefused("the form is missing this session's CSRF token (reload the page)")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        for key, value in form.multi_items():  # the API's rule for text (api.models.common)
            if isinstance(value, str):
                check_text(key, value, lines=key in LINES)


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def current_viewer(request: Request) -> Viewer:
    """The signed-in viewer, or :class:`SignInRequired`; a revoked key signs out."""
    service = service_of(request)
    session = session_of(request.scope)
    if not service.settings.auth:
        viewer = Viewer(LOCAL_OPERATOR, session, signed_in=False)
    else:
        if session.key_id is None:
            raise SignInRequired(_here(request))
        try:
            key = service.keys.active(session.key_id)
        except Unauthorized as refused:
            session.sign_out(f"You were signed out: {refused.message}.")
            raise SignInRequired(_here(request)) from None
        viewer = Viewer(key.principal, session, signed_in=True)
    request.state.principal = viewer.principal  # for the access log
    return viewer


def _here(request: Request) -> str:
    """Where to come back to after signing in: this page, or the start after a form post."""
    if request.method != "GET":
        return f"{request.scope.get('root_path', '')}/"
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return quote(path, safe="/?=&")


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def needs(role: Role) -> Callable[[Viewer], Awaitable[Viewer]]:
    """A dependency that lets a viewer through only with at least ``role``, as the API does."""

    async def check(viewer: ViewerDep) -> Viewer:
        if not viewer.has(role):
            raise Forbidden(
                f"this page needs the {role.value} role; your key has {viewer.principal.role}"
            )
        return viewer

    return check


AnalystViewer = Annotated[Viewer, Depends(needs(Role.ANALYST))]
AdminViewer = Annotated[Viewer, Depends(needs(Role.ADMIN))]
