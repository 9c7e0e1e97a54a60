"""Lists (analyst): create, read, update thresholds, action and matching mode, delete when
empty."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.deps import AnalystDep, ServiceDep
from api.models.lists import ListCreate, ListPublic, ListUpdate
from api.problems import PROBLEM_SCHEMA
from hashdb.service import HashDB
from hashdb.store import HashList, NewList

router = APIRouter(
    prefix="/v1/lists",
    tags=["lists"],
    responses={status: PROBLEM_SCHEMA for status in (401, 403, 422, 503)},
)

ListName = Annotated[str, Path(min_length=1, max_length=200, description="List name.")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: PROBLEM_SCHEMA}


def _public(service: HashDB, hash_list: HashList) -> dict[str, Any]:
    return {**hash_list.to_dict(), "live_entries": service.lists.live_entries(hash_list)}


@router.get("", response_model=list[ListPublic], summary="All lists")
def all_lists(service: ServiceDep, caller: AnalystDep) -> list[dict[str, Any]]:
    return [_public(service, hash_list) for hash_list in service.lists.visible(caller)]


@router.post(
    "",
    response_model=ListPublic,
    status_code=201,
    summary="Create a list",
    responses={409: PROBLEM_SCHEMA},
)
def create_list(body: ListCreate, service: ServiceDep, caller: AnalystDep) -> dict[str, Any]:
    created = service.lists.create(
        NewList(
            name=body.name,
            description=body.description,
            action=body.action,
            thresholds=body.thresholds,
            matching_mode=body.matching_mode,
        ),
        caller,
    )
    return _public(service, created)


@router.get("/{name}", response_model=ListPublic, summary="One list", responses=_NOT_FOUND)
def get_list(name: ListName, service: ServiceDep, caller: AnalystDep) -> dict[str, Any]:
    return _public(service, service.lists.get(name, caller))


@router.patch(
    "/{name}",
    response_model=ListPublic,
    summary="Change a list's action, description, thresholds or matching mode",
    responses=_NOT_FOUND,
)
def update_list(
    name: ListName, body: ListUpdate, service: ServiceDep, caller: AnalystDep
) -> dict[str, Any]:
    updated = service.lists.update(
        name,
        description=body.description,
        action=body.action,
        thresholds=body.thresholds,
        matching_mode=body.matching_mode,
        principal=caller,
    )
    return _public(service, updated)


@router.delete(
    "/{name}",
    status_code=204,
    summary="Delete a list that never held an entry",
    responses={404: PROBLEM_SCHEMA, 409: PROBLEM_SCHEMA},
)
def delete_list(name: ListName, service: ServiceDep, caller: AnalystDep) -> Response:
    service.lists.delete(name, caller)
    return Response(status_code=204)
