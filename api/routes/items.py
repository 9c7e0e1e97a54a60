"""Items (analyst): a piece of media or a raw hash with its hashes; search, read, relabel,
label, retire and restore them as one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.analyst_schemas import EntryLabelsIn
from api.deps import AnalystDep, ServiceDep
from api.models.common import MAX_ID, MAX_PAGE
from api.models.entries import RetireRequest
from api.models.items import ItemDetailPublic, ItemPage, ItemPublic, ItemUpdate
from api.problems import PROBLEM_SCHEMA
from hashdb.errors import InvalidValue
from hashdb.store.models import ItemQuery

router = APIRouter(
    prefix="/v1",
    tags=["items"],
    responses={status: PROBLEM_SCHEMA for status in (401, 403, 404, 422, 503)},
)

ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="Item id.")]


@router.get("/items", response_model=ItemPage, summary="Search items")
def search_items(
    service: ServiceDep,
    caller: AnalystDep,
    list_name: Annotated[str | None, Query(alias="list", max_length=200)] = None,
    label: Annotated[
        str | None, Query(max_length=500, description="A label or a FACET:VALUE label.")
    ] = None,
    added_after: Annotated[datetime | None, Query(description="ISO 8601 timestamp.")] = None,
    hash: Annotated[
        str | None,
        Query(max_length=128, description="Any hash of the item, or its file's SHA-256 (hex)."),
    ] = None,
    include_retired: bool = True,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=40, description="From next_cursor.")] = None,
) -> dict[str, Any]:
    """Items in id order, filtered by list, label, time added and hash; paged by cursor."""
    found = service.items.search(
        ItemQuery(
            list_name=list_name,
            label=label,
            added_after=_aware(added_after),
            hash=_hex(hash),
            include_retired=include_retired,
            after_id=_cursor(cursor),
            limit=limit,
        ),
        caller,
    )
    return {
        "items": [item.to_dict() for item in found],
        "next_cursor": str(found[-1].id) if len(found) == limit else None,
    }


@router.get(
    "/items/{item_id}",
    response_model=ItemDetailPublic,
    summary="One item: its hashes, provenance, labels, feedback and audit trail",
)
def get_item(item_id: ItemId, service: ServiceDep, caller: AnalystDep) -> dict[str, Any]:
    return service.items.detail(item_id, caller).to_dict()


@router.patch("/items/{item_id}", response_model=ItemPublic, summary="Relabel an item")
def update_item(
    item_id: ItemId, body: ItemUpdate, service: ServiceDep, caller: AnalystDep
) -> dict[str, Any]:
    """Change the label or note of every hash of the item."""
    return service.items.update(
        item_id, label=body.label, note=body.note, principal=caller
    ).to_dict()


@router.post(
    "/items/{item_id}/labels",
    response_model=ItemPublic,
    summary="Add and remove controlled labels on every hash of an item",
)
def label_item(
    item_id: ItemId, body: EntryLabelsIn, service: ServiceDep, caller: AnalystDep
) -> dict[str, Any]:
    return service.items.label(item_id, body.add, body.remove, principal=caller).to_dict()


@router.post(
    "/items/{item_id}/retire",
    response_model=ItemPublic,
    summary="Retire an item: none of its hashes matches any more; kept for audit",
    responses={409: PROBLEM_SCHEMA},
)
def retire_item(
    item_id: ItemId, body: RetireRequest, service: ServiceDep, caller: AnalystDep
) -> dict[str, Any]:
    return service.items.retire(item_id, body.reason, caller.name, principal=caller).to_dict()


@router.post(
    "/items/{item_id}/restore",
    response_model=ItemPublic,
    summary="Restore a retired item: the hashes retired with it match again",
    responses={409: PROBLEM_SCHEMA},
)
def restore_item(item_id: ItemId, service: ServiceDep, caller: AnalystDep) -> dict[str, Any]:
    return service.items.restore(item_id, principal=caller).to_dict()


def _cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or int(cursor) > MAX_ID:
        raise InvalidValue("cursor is not one this API returned", cursor=cursor)
    return int(cursor)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidValue("added_after needs a time zone, e.g. 2026-01-01T00:00:00Z")
    return value


def _hex(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        raise InvalidValue("hash is not hexadecimal", hash=text[:128]) from None
