"""The label vocabulary, and the labels on one entry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.analyst_schemas import MAX_ID, EntryLabelsIn, VocabularyIn
from api.deps import PrincipalDep, ServiceDep, require
from api.problems import PROBLEM_SCHEMA
from hashdb.identity import Principal, Role
from hashdb.store.models import ItemScope

router = APIRouter(prefix="/v1", tags=["labels"])
_ERRORS: dict[int | str, dict[str, Any]] = {s: PROBLEM_SCHEMA for s in (403, 404, 422)}


@router.get("/labels", summary="The label vocabulary", responses=_ERRORS)
def vocabulary(service: ServiceDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return [term.to_dict() for term in service.labels.vocabulary(principal)]


@router.post("/labels", summary="Add terms to the vocabulary (operator)", responses=_ERRORS)
def add_terms(
    service: ServiceDep,
    body: VocabularyIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> list[dict[str, Any]]:
    terms = service.labels.add_terms(body.facet, body.values, body.description, principal=principal)
    return [term.to_dict() for term in terms]


@router.delete(
    "/labels/{label}", summary="Remove a term; entries keep it (operator)", responses=_ERRORS
)
def remove_term(
    service: ServiceDep,
    label: Annotated[str, Path(max_length=265, description="FACET:VALUE")],
    principal: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> dict[str, Any]:
    return service.labels.remove_term(label, principal).to_dict()


@router.post(
    "/entries/{entry_id}/labels",
    summary="Add and remove labels on an entry's item",
    responses=_ERRORS,
)
def label_entry(
    service: ServiceDep,
    entry_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: EntryLabelsIn,
    principal: Annotated[Principal, Depends(require(Role.ANALYST))],
    scope: Annotated[
        ItemScope, Query(description="item: every hash of the entry's item; entry: this one.")
    ] = ItemScope.ITEM,
) -> dict[str, Any]:
    """The labels go on every hash of the entry's item (the same file), or with
    ``?scope=entry`` on this hash only."""
    entry = service.labels.label_entry(
        entry_id, body.add, body.remove, scope=scope, principal=principal
    )
    return {"entry_id": entry.id, "labels": list(entry.labels)}
