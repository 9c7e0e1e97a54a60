"""Platforms agree or disagree with an entry; analysts read the counts and the history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.analyst_schemas import MAX_ID, FeedbackIn
from api.deps import ServiceDep, require
from api.problems import PROBLEM_SCHEMA
from hashdb.identity import Principal, Role
from hashdb.store.models import Verdict

router = APIRouter(prefix="/v1", tags=["feedback"])
_ERRORS: dict[int | str, dict[str, Any]] = {s: PROBLEM_SCHEMA for s in (403, 404, 422)}
EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/entries/{entry_id}/feedback",
    status_code=201,
    summary="Say whether a match on this entry was right",
    responses=_ERRORS,
)
def give_feedback(
    service: ServiceDep,
    entry_id: EntryId,
    body: FeedbackIn,
    principal: Annotated[Principal, Depends(require(Role.PLATFORM))],
) -> dict[str, Any]:
    """``agree``: a true match; ``disagree``: a false positive (say why in ``reason``).
    A caller's latest verdict on an entry is the one that counts."""
    given = service.feedback.give(entry_id, Verdict(body.verdict), body.reason, principal=principal)
    return given.to_dict()


@router.get(
    "/entries/{entry_id}/feedback",
    summary="Feedback counts and history of an entry (analyst)",
    responses=_ERRORS,
)
def entry_feedback(
    service: ServiceDep,
    entry_id: EntryId,
    principal: Annotated[Principal, Depends(require(Role.ANALYST))],
) -> dict[str, Any]:
    return service.feedback.for_entry(entry_id, principal).to_dict()
