"""The audit log: who changed what, when, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.console.render import page
from api.console.viewer import AnalystViewer, service_of
from hashdb.errors import InvalidValue

router = APIRouter()

PAGE = 100


@router.get("/audit")
def audit_log(
    request: Request,
    viewer: AnalystViewer,
    target_type: Annotated[str, Query(max_length=32)] = "",
    target_id: Annotated[str, Query(max_length=200)] = "",
    since: Annotated[datetime | None, Query()] = None,
) -> Response:
    """Oldest first from ``since``; the next page starts after the last record shown."""
    if since is not None and since.tzinfo is None:
        raise InvalidValue("since needs a time zone, e.g. 2026-01-01T00:00:00Z")
    records = service_of(request).audit.records(
        viewer.principal,
        target_type=target_type or None,
        target_id=target_id or None,
        since=since,
        limit=PAGE,
    )
    return page(
        request,
        "audit.html",
        viewer,
        records=records,
        target_type=target_type,
        target_id=target_id,
        since=since,
        more=len(records) == PAGE,
    )
