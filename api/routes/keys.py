"""API keys (admin): create, list, revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import AdminDep, ServiceDep
from api.models.common import MAX_ID
from api.models.keys import KeyCreate, KeyCreated, KeyPublic
from api.problems import PROBLEM_SCHEMA

router = APIRouter(
    prefix="/v1/keys",
    tags=["keys"],
    responses={status: PROBLEM_SCHEMA for status in (401, 403, 422, 503)},
)


@router.post(
    "", response_model=KeyCreated, status_code=201, summary="Create an API key (shown once)"
)
def create_key(body: KeyCreate, service: ServiceDep, caller: AdminDep) -> dict[str, Any]:
    created = service.keys.create(
        body.name, body.role, organisation=body.organisation, actor=caller
    )
    return {**created.record.to_dict(), "key": created.key}


@router.get("", response_model=list[KeyPublic], summary="List API keys (never the keys)")
def list_keys(service: ServiceDep, _caller: AdminDep) -> list[dict[str, object]]:
    return [key.to_dict() for key in service.keys.list()]


@router.post(
    "/{key_id}/revoke",
    response_model=KeyPublic,
    summary="Revoke an API key: it stops working at once",
    responses={status: PROBLEM_SCHEMA for status in (404, 409)},
)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    service: ServiceDep,
    caller: AdminDep,
) -> dict[str, object]:
    return service.keys.revoke(key_id, actor=caller).to_dict()
