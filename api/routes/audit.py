"""The audit log (analyst): who changed what, when, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import AnalystDep, ServiceDep
from api.models.audit import AuditPublic
from api.models.common import MAX_PAGE
from api.problems import PROBLEM_SCHEMA
from hashdb.errors import InvalidValue
from hashdb.store.models import AUDIT_TARGETS

router = APIRouter(
    prefix="/v1",
    tags=["audit"],
    responses={status: PROBLEM_SCHEMA for status in (401, 403, 422, 503)},
)


@router.get("/audit", response_model=list[AuditPublic], summary="Read the audit log")
def read_audit(
    service: ServiceDep,
    caller: AnalystDep,
    target_type: Annotated[
        str | None, Query(max_length=32, description=", ".join(sorted(AUDIT_TARGETS)) + ".")
    ] = None,
    target_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 timestamp.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> list[dict[str, Any]]:
    """Oldest first; filter by target and time. Only the records the caller may see: about
    the lists it can see, the vocabulary and organisations, its organisation's imports, and
    (organisation admins) its organisation's keys; operators see every record."""
    if since is not None and since.tzinfo is None:
        raise InvalidValue("since needs a time zone, e.g. 2026-01-01T00:00:00Z")
    records = service.audit.records(
        caller, target_type=target_type, target_id=target_id, since=since, limit=limit
    )
    return [record.to_dict() for record in records]
