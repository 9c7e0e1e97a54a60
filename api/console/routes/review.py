"""The review queue: each near-miss beside the entry it nearly matched, with its distance and
stage, and the thumbnails kept of both (blurred until clicked); confirm, dismiss or allow-list
it in one click (or one key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import Response

from api.console.render import back, page
from api.console.viewer import AnalystViewer, Viewer, service_of
from hashdb.errors import EntryNotFound
from hashdb.service import EntryMetadata
from hashdb.store.models import Entry, ListAction, ReviewItem, ReviewStatus, Thumbnail

router = APIRouter()

ItemId = Annotated[int, Path(ge=1, le=2**62)]
#: Where "allow" puts a near-miss when the viewer has no allow list yet (the service creates
#: it, with action allow, on first use).
DEFAULT_ALLOW_LIST = "allowed"


@dataclass(frozen=True)
class Card:
    item: ReviewItem
    #: The entry it nearly matched (None if it has been deleted since).
    entry: Entry | None
    #: The thumbnail of the upload kept with the item (None: its hashes are shown).
    upload: Thumbnail | None = None
    #: The thumbnail of the entry's media item, on a list that keeps them.
    reference: Thumbnail | None = None


@router.get("/review")
def queue(
    request: Request,
    viewer: AnalystViewer,
    list_name: Annotated[str, Query(alias="list", max_length=200)] = "",
    status: Literal["pending", "confirmed", "dismissed", "allowed", "all"] = "pending",
    allow_list: str = "",
    done: str = "",
) -> Response:
    service = service_of(request)
    principal = viewer.principal
    items = service.review.queue(
        principal,
        status=None if status == "all" else ReviewStatus(status),
        list_name=list_name or None,
        limit=200,
    )
    entries = {item.id: _entry(request, item, viewer) for item in items}
    uploads = service.thumbnails.for_review(items, principal)
    references = service.thumbnails.for_items(
        [entry.item_id for entry in entries.values() if entry and entry.item_id], principal
    )
    cards = [
        Card(
            item,
            entries[item.id],
            uploads.get(item.id),
            _reference(references, entries[item.id]),
        )
        for item in items
    ]
    allow_lists = [
        hash_list.name
        for hash_list in service.lists.editable(principal)
        if hash_list.action is ListAction.ALLOW
    ] or [DEFAULT_ALLOW_LIST]
    return page(
        request,
        "review.html",
        viewer,
        cards=cards,
        lists=[hash_list.name for hash_list in service.lists.editable(principal)],
        chosen=list_name,
        status=status,
        allow_lists=allow_lists,
        allow_list=allow_list if allow_list in allow_lists else allow_lists[0],
        done=done,
        retention_days=service.settings.thumbnail_retention_days,
    )


def _entry(request: Request, item: ReviewItem, viewer: Viewer) -> Entry | None:
    try:
        return service_of(request).entries.get(item.entry_id, viewer.principal)
    except EntryNotFound:
        return None


def _reference(references: dict[int, Thumbnail], entry: Entry | None) -> Thumbnail | None:
    if entry is None or entry.item_id is None:
        return None
    return references.get(entry.item_id)


def _back(request: Request, done: str, list_name: str, allow_list: str) -> Response:
    query = {"done": done}
    if list_name:
        query["list"] = list_name
    if allow_list:
        query["allow_list"] = allow_list
    return back(request, "/review", **query)


@router.post("/review/{item_id}/confirm")
def confirm(
    request: Request,
    viewer: AnalystViewer,
    item_id: ItemId,
    note: Annotated[str, Form(max_length=10_000)] = "",
    list_name: Annotated[str, Form(alias="list", max_length=200)] = "",
    allow_list: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    service_of(request).review.confirm(
        item_id, viewer.principal, metadata=EntryMetadata(note=note.strip() or None)
    )
    return _back(request, "confirmed", list_name, allow_list)


@router.post("/review/{item_id}/dismiss")
def dismiss(
    request: Request,
    viewer: AnalystViewer,
    item_id: ItemId,
    note: Annotated[str, Form(max_length=10_000)] = "",
    list_name: Annotated[str, Form(alias="list", max_length=200)] = "",
    allow_list: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    service_of(request).review.dismiss(item_id, viewer.principal, note.strip() or None)
    return _back(request, "dismissed", list_name, allow_list)


@router.post("/review/{item_id}/allow")
def allow(
    request: Request,
    viewer: AnalystViewer,
    item_id: ItemId,
    allow_list: Annotated[str, Form(min_length=1, max_length=200)] = DEFAULT_ALLOW_LIST,
    note: Annotated[str, Form(max_length=10_000)] = "",
    list_name: Annotated[str, Form(alias="list", max_length=200)] = "",
) -> Response:
    service_of(request).review.allow(
        item_id,
        allow_list,
        viewer.principal,
        metadata=EntryMetadata(note=note.strip() or None),
    )
    return _back(request, "allowed", list_name, allow_list)
