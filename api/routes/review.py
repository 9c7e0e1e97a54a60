"""The review queue: near-misses analysts confirm, dismiss or allow-list."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from api.analyst_schemas import MAX_ID, ReviewAllowIn, ReviewConfirmIn, ReviewDismissIn
from api.deps import ServiceDep, require
from api.problems import PROBLEM_SCHEMA
from hashdb.identity import Principal, Role
from hashdb.service import EntryMetadata
from hashdb.store.models import ReviewStatus

router = APIRouter(prefix="/v1/review", tags=["review"])
_ERRORS: dict[int | str, dict[str, Any]] = {s: PROBLEM_SCHEMA for s in (403, 404, 409, 422)}
Analyst = Annotated[Principal, Depends(require(Role.ANALYST))]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", summary="Review items on the lists you may write to", responses=_ERRORS)
def review_queue(
    service: ServiceDep,
    principal: Analyst,
    status: Annotated[
        Literal["pending", "confirmed", "dismissed", "allowed", "all"], Query()
    ] = "pending",
    list_name: Annotated[
        str | None, Query(alias="list", max_length=200, pattern=r"^[^\x00]*$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    items = service.review.queue(
        principal,
        status=None if status == "all" else ReviewStatus(status),
        list_name=list_name,
        limit=limit,
    )
    return [item.to_dict() for item in items]


@router.post("/{item_id}/confirm", summary="Promote a near-miss to entries", responses=_ERRORS)
def confirm(
    service: ServiceDep, item_id: ItemId, body: ReviewConfirmIn, principal: Analyst
) -> dict[str, Any]:
    metadata = EntryMetadata(note=body.note, labels=tuple(body.labels))
    return service.review.confirm(
        item_id, principal, list_name=body.list_name, metadata=metadata
    ).to_dict()


@router.post("/{item_id}/dismiss", summary="Dismiss a near-miss", responses=_ERRORS)
def dismiss(
    service: ServiceDep, item_id: ItemId, body: ReviewDismissIn, principal: Analyst
) -> dict[str, Any]:
    return service.review.dismiss(item_id, principal, body.note).to_dict()


@router.post(
    "/{item_id}/allow", summary="Allow-list a near-miss as a false positive", responses=_ERRORS
)
def allow(
    service: ServiceDep, item_id: ItemId, body: ReviewAllowIn, principal: Analyst
) -> dict[str, Any]:
    metadata = EntryMetadata(note=body.note)
    return service.review.allow(item_id, body.list_name, principal, metadata=metadata).to_dict()
