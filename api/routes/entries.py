"""Entries (analyst): add from an upload or raw hashes, get, search, retire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, UploadFile

from api.deps import AnalystDep, ServiceDep
from api.models.common import MAX_ID, MAX_PAGE
from api.models.entries import (
    AddReportModel,
    EntryPage,
    EntryPublic,
    EntryUpdate,
    HashesCreate,
    RetireRequest,
)
from api.problems import PROBLEM_SCHEMA
from api.uploads import read_upload
from hashdb.errors import InvalidValue
from hashdb.service import EntryMetadata
from hashdb.store.models import EntryQuery, ItemScope

router = APIRouter(
    prefix="/v1",
    tags=["entries"],
    responses={status: PROBLEM_SCHEMA for status in (401, 403, 404, 422, 503)},
)

ListName = Annotated[str, Path(min_length=1, max_length=200, description="List name.")]
EntryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Entry id.")]
Scope = Annotated[
    ItemScope,
    Query(description="item: every hash of the entry's item (the default); entry: this one."),
]


@router.post(
    "/lists/{name}/media",
    response_model=AddReportModel,
    status_code=201,
    summary="Hash an uploaded image and add its hashes to a list",
    responses={status: PROBLEM_SCHEMA for status in (413, 415)},
)
def add_media(
    name: ListName,
    service: ServiceDep,
    caller: AnalystDep,
    file: Annotated[UploadFile, File(description="The media file (image).")],
    label: Annotated[str | None, Form(max_length=500)] = None,
    note: Annotated[str | None, Form(max_length=10_000)] = None,
    force: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Every hash of the media goes on the list (which must exist); adding twice is a no-op.
    Degenerate or low-quality hashes are refused (listed under ``refused``) unless forced."""
    data = read_upload(service, file)
    report = service.adding.media(
        name,
        data,
        EntryMetadata(label=label, note=note, added_by=caller.name),
        force=force,
        create_list=False,
        principal=caller,
    )
    return report.to_dict()


@router.post(
    "/lists/{name}/hashes",
    response_model=AddReportModel,
    status_code=201,
    summary="Add raw hashes (from a partner) to a list",
)
def add_hashes(
    name: ListName, body: HashesCreate, service: ServiceDep, caller: AnalystDep
) -> dict[str, Any]:
    """A malformed hash adds nothing (422 naming it); refused ones are listed, not added."""
    report = service.adding.digests(
        name,
        [query.digest for query in body.hashes],
        EntryMetadata(label=body.label, note=body.note, added_by=caller.name),
        force=body.force,
        source_sha256=body.source_sha256.lower() if body.source_sha256 else None,
        create_list=False,
        principal=caller,
    )
    return report.to_dict()


@router.get("/entries/{entry_id}", response_model=EntryPublic, summary="One entry")
def get_entry(entry_id: EntryId, service: ServiceDep, caller: AnalystDep) -> dict[str, Any]:
    return service.entries.get(entry_id, caller).to_dict()


@router.patch("/entries/{entry_id}", response_model=EntryPublic, summary="Relabel an entry")
def update_entry(
    entry_id: EntryId,
    body: EntryUpdate,
    service: ServiceDep,
    caller: AnalystDep,
    scope: Scope = ItemScope.ITEM,
) -> dict[str, Any]:
    """Change the label or note of the entry's item (every hash of the same file), or with
    ``?scope=entry`` of this hash only; matches explain it with the new text at once."""
    updated = service.entries.update(
        entry_id, label=body.label, note=body.note, scope=scope, principal=caller
    )
    return updated.to_dict()


@router.get("/entries", response_model=EntryPage, summary="Search entries")
def search_entries(
    service: ServiceDep,
    caller: AnalystDep,
    list_name: Annotated[str | None, Query(alias="list", max_length=200)] = None,
    label: Annotated[str | None, Query(max_length=500)] = None,
    added_after: Annotated[datetime | None, Query(description="ISO 8601 timestamp.")] = None,
    include_retired: bool = True,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(max_length=40, description="From next_cursor.")] = None,
) -> dict[str, Any]:
    """Entries in id order, filtered by list, exact label and time added; paged by cursor."""
    after_id = 0
    if cursor is not None:
        if not cursor.isdigit() or int(cursor) > MAX_ID:
            raise InvalidValue("cursor is not one this API returned", cursor=cursor)
        after_id = int(cursor)
    if added_after is not None and added_after.tzinfo is None:
        raise InvalidValue("added_after needs a time zone, e.g. 2026-01-01T00:00:00Z")
    found = service.entries.search(
        EntryQuery(
            list_name=list_name,
            label=label,
            added_after=added_after,
            include_retired=include_retired,
            after_id=after_id,
            limit=limit,
        ),
        caller,
    )
    return {
        "entries": [entry.to_dict() for entry in found],
        "next_cursor": str(found[-1].id) if len(found) == limit else None,
    }


@router.post(
    "/entries/{entry_id}/retire",
    response_model=EntryPublic,
    summary="Retire an entry's item: it stops matching at once, and is kept for audit",
    responses={409: PROBLEM_SCHEMA},
)
def retire_entry(
    entry_id: EntryId,
    body: RetireRequest,
    service: ServiceDep,
    caller: AnalystDep,
    scope: Scope = ItemScope.ITEM,
) -> dict[str, Any]:
    """Every hash of the entry's item (the same file) stops matching, or with
    ``?scope=entry`` this hash only."""
    retired = service.entries.retire(
        entry_id, body.reason, caller.name, scope=scope, principal=caller
    )
    return retired.to_dict()
