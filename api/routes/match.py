from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile

from api.deps import PlatformDep, ServiceDep
from api.problems import PROBLEM_SCHEMA
from api.responses import JSONAnswer
from api.schemas import MatchResponse
from api.upload_route import UploadRoute
from api.uploads import read_upload

# Answered without FastAPI's general form handling (api.upload_route).
router = APIRouter(prefix="/v1", tags=["matching"], route_class=UploadRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: PROBLEM_SCHEMA for status in (401, 403, 404, 413, 415, 422, 503)
}


@router.post(
    "/match",
    response_model=MatchResponse,
    # Video-only fields (media.kind, matches[].video) are left out of image answers.
    response_model_exclude_unset=True,
    summary="Match an uploaded image or video against the lists",
    responses=_ERRORS,
)
def match_upload(
    request: Request,
    service: ServiceDep,
    principal: PlatformDep,
    file: Annotated[UploadFile, File(description="The media file (image or video).")],
    lists: Annotated[
        list[str] | None, Query(description="Only match these lists (repeatable).")
    ] = None,
    labels: Annotated[
        list[str] | None,
        Query(
            description="Only entries with these labels (FACET:VALUE, repeatable or "
            "comma-separated): any value of one facet, every facet given."
        ),
    ] = None,
) -> JSONAnswer:
    """Hash the upload and return every live entry within its list's threshold, explained.

    A sync route on purpose: decoding and hashing are CPU work and run in the thread pool,
    never on the event loop.
    """
    result = service.matching.media(
        read_upload(service, file), lists or None, principal=principal, labels=labels or None
    )
    request.app.state.metrics.count_matches(result.matches)
    return JSONAnswer(result.to_dict())  # the shape is MatchResponse; skip re-validation
