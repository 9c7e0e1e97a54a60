"""The match tester: upload a file and see the answer a platform would get, explained; a
geometric match is drawn (the matched region on the upload, the inlier pairs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from api.console.render import page
from api.console.viewer import ViewerDep, service_of
from api.uploads import read_upload

router = APIRouter()


@router.get("/match")
def tester(request: Request, viewer: ViewerDep) -> Response:
    service = service_of(request)
    return page(
        request,
        "match.html",
        viewer,
        result=None,
        lists=service.lists.visible(viewer.principal),
        chosen="",
    )


@router.post("/match")
def test_match(
    request: Request,
    viewer: ViewerDep,
    file: Annotated[UploadFile, File()],
    list_name: Annotated[str, Form(alias="list", max_length=200)] = "",
) -> Response:
    """The same call as ``POST /v1/match`` (any key may match, as in the API)."""
    service = service_of(request)
    result = service.matching.media(
        read_upload(service, file),
        [list_name] if list_name else None,
        principal=viewer.principal,
    )
    return page(
        request,
        "match.html",
        viewer,
        result=result,
        filename=file.filename or "upload",
        lists=service.lists.visible(viewer.principal),
        chosen=list_name,
    )
