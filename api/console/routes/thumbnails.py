"""The thumbnails hashdb keeps, served to the console only: to a viewer who may see their
review item or list (anyone else gets the same 404 as for a thumbnail that never existed),
never cached, from the console's own origin (so its content security policy allows them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from api.console.viewer import ViewerDep, service_of

router = APIRouter()

ThumbnailId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/thumbnails/{thumbnail_id}")
def thumbnail(request: Request, viewer: ViewerDep, thumbnail_id: ThumbnailId) -> Response:
    found, data = service_of(request).thumbnails.get(thumbnail_id, viewer.principal)
    return Response(
        data,
        media_type=found.content_type,
        headers={
            "cache-control": "no-store",
            "content-disposition": f'inline; filename="thumbnail-{found.id}"',
            "x-content-type-options": "nosniff",
        },
    )
