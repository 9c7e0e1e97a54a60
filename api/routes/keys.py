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
    """An operator makes keys of any organisation or of none; an organisation admin makes
    keys of its own organisation only."""
    created = service.keys.create(
        body.name, body.role, organisation=body.organisation, principal=caller
    )
    return {**created.record.to_dict(), "key": created.key}


@router.get("", response_model=list[KeyPublic], summary="List API keys (never the keys)")
def list_keys(service: ServiceDep, caller: AdminDep) -> list[dict[str, object]]:
    """Every key for an operator; an organisation admin sees its organisation's keys."""
    return [key.to_dict() for key in service.keys.list(caller)]


@router.post(
    "/{key_id}/revoke",
    response_model=KeyPublic,
    summary="Revoke an API key",
    responses={status: PROBLEM_SCHEMA for status in (404, 409)},
)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    service: ServiceDep,
    caller: AdminDep,
) -> dict[str, object]:
    """The worker that revokes the key refuses it from the next request on. Every other
    process stops trusting it when it learns that the database changed (PostgreSQL: each
    commit notifies every process; SQLite: the change sequence is read every
    `HASHDB_REFRESH_INTERVAL`, default 0.25 s, or on every request with 0), and in any case
    once its check of the key is `HASHDB_AUTH_CACHE_SECONDS` old (default 1 s): that is the
    bound. A request already running finishes. An organisation admin revokes its
    organisation's keys only (another organisation's key is not found)."""
    return service.keys.revoke(key_id, principal=caller).to_dict()
