"""Organisations, and who owns and shares each list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.analyst_schemas import OrganisationIn, SharingIn
from api.deps import PrincipalDep, ServiceDep, require
from api.problems import PROBLEM_SCHEMA
from hashdb.identity import Principal, Role
from hashdb.store.models import Sharing

router = APIRouter(prefix="/v1", tags=["sharing"])
_ERRORS: dict[int | str, dict[str, Any]] = {s: PROBLEM_SCHEMA for s in (403, 404, 409, 422)}
ListName = Annotated[str, Path(max_length=200, pattern=r"^[^\x00]*$")]


@router.get("/organisations", summary="Every organisation", responses=_ERRORS)
def organisations(service: ServiceDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return [organisation.to_dict() for organisation in service.organisations.list(principal)]


@router.post(
    "/organisations", status_code=201, summary="Add an organisation (operator)", responses=_ERRORS
)
def create_organisation(
    service: ServiceDep,
    body: OrganisationIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> dict[str, Any]:
    return service.organisations.create(body.name, body.description, principal=principal).to_dict()


@router.get(
    "/lists/{name}/sharing", summary="A list's owner, sharing and review radius", responses=_ERRORS
)
def get_sharing(service: ServiceDep, principal: PrincipalDep, name: ListName) -> dict[str, Any]:
    return {"list": name, **service.sharing.settings(name, principal).to_dict()}


@router.put(
    "/lists/{name}/sharing",
    summary="Change a list's sharing, owner, review radius or thumbnails (owner organisation)",
    responses=_ERRORS,
)
def put_sharing(
    service: ServiceDep,
    name: ListName,
    body: SharingIn,
    principal: Annotated[Principal, Depends(require(Role.ANALYST))],
) -> dict[str, Any]:
    settings = service.sharing.update(
        name,
        principal,
        sharing=Sharing(body.sharing) if body.sharing is not None else None,
        owner=body.owner,
        review_radius=body.review_radius,
        keep_thumbnails=body.keep_thumbnails,
    )
    return {"list": name, **settings.to_dict()}
