from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile

from api.deps import ServiceDep
from api.problems import PROBLEM_SCHEMA
from api.schemas import MatchResponse
from hashdb.errors import EmptyMedia

router = APIRouter(prefix="/v1", tags=["matching"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: PROBLEM_SCHEMA for status in (404, 413, 415, 422, 503)
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
    service: ServiceDep,
    file: Annotated[UploadFile, File(description="The media file (image or video).")],
    lists: Annotated[
        list[str] | None, Query(description="Only match these lists (repeatable).")
    ] = None,
) -> dict[str, Any]:
    """Hash the upload and return every live entry within its list's threshold, explained.

    A sync route on purpose: decoding and hashing are CPU work and run in the thread pool,
    never on the event loop.
    """
    head = file.file.read(64)
    limit = service.upload_limit(head)  # videos have their own, larger limit
    data = head + file.file.read(limit + 1 - len(head))
    service.check_upload_size(len(data), limit)
    if not data:
        raise EmptyMedia("the upload is empty (0 bytes)")
    return service.match_bytes(data, lists or None).to_dict()
