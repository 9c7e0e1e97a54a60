"""API keys (admins): create one (shown once, on the page that created it), revoke one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import Response

from api.console.render import back, page
from api.console.viewer import AdminViewer, service_of
from hashdb.identity import Role

router = APIRouter()


@router.get("/keys")
def keys_page(request: Request, viewer: AdminViewer, done: str = "") -> Response:
    return _page(request, viewer, created=None, done=done)


def _page(request: Request, viewer: AdminViewer, **context: object) -> Response:
    service = service_of(request)
    return page(
        request,
        "keys.html",
        viewer,
        keys=service.keys.list(viewer.principal),
        roles=list(Role),
        organisations=service.organisations.list(viewer.principal),
        **context,
    )


@router.post("/keys")
def create_key(
    request: Request,
    viewer: AdminViewer,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    role: Annotated[Role, Form()],
    organisation: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The new key is in this answer only: the page is not cached and never shown again."""
    created = service_of(request).keys.create(
        name, role, organisation=organisation.strip() or None, principal=viewer.principal
    )
    return _page(request, viewer, created=created, done="")


@router.post("/keys/{key_id}/revoke")
def revoke_key(
    request: Request, viewer: AdminViewer, key_id: Annotated[int, Path(ge=1, le=2**62)]
) -> Response:
    service_of(request).keys.revoke(key_id, principal=viewer.principal)
    return back(request, "/keys", done="revoked")
