"""Items: search by list, label, time added, hash or an uploaded file, paged; an item's page
with its hashes, provenance, labels, feedback and audit trail; relabel, label, retire with a
reason and restore."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from starlette.responses import Response

from api.console.render import back, page
from api.console.viewer import AnalystViewer, service_of
from api.uploads import read_upload
from hashdb.auth import access
from hashdb.errors import InvalidValue
from hashdb.store.models import ItemQuery

router = APIRouter()

ItemId = Annotated[int, Path(ge=1, le=2**62)]
PAGE = 50


@router.get("/items")
def search(
    request: Request,
    viewer: AnalystViewer,
    list_name: Annotated[str, Query(alias="list", max_length=200)] = "",
    label: Annotated[str, Query(max_length=500)] = "",
    added_after: Annotated[str, Query(max_length=40)] = "",
    hash_hex: Annotated[str, Query(alias="hash", max_length=128)] = "",
    live: bool = False,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> Response:
    """Items in id order; the next page starts after the last item shown."""
    return _results(
        request,
        viewer,
        ItemQuery(
            list_name=list_name or None,
            label=label.strip() or None,
            added_after=_moment(added_after),
            hash=_hex(hash_hex),
            include_retired=not live,
            after_id=after,
            limit=PAGE,
        ),
        form={
            "list": list_name,
            "label": label,
            "added_after": added_after,
            "hash": hash_hex,
            "live": "1" if live else "",
        },
    )


@router.post("/items/by-file")
def search_by_file(
    request: Request,
    viewer: AnalystViewer,
    file: Annotated[UploadFile, File()],
) -> Response:
    """The items holding the uploaded file's exact hashes (its SHA-256 names the file)."""
    data = read_upload(service_of(request), file)
    sha256 = hashlib.sha256(data).digest()
    return _results(
        request,
        viewer,
        ItemQuery(hash=sha256, limit=PAGE),
        form={"hash": sha256.hex()},
        upload=file.filename or "the upload",
    )


def _results(
    request: Request,
    viewer: AnalystViewer,
    query: ItemQuery,
    form: dict[str, str],
    upload: str = "",
) -> Response:
    service = service_of(request)
    found = service.items.search(query, viewer.principal)
    return page(
        request,
        "items.html",
        viewer,
        items=found,
        lists=[hash_list.name for hash_list in service.lists.visible(viewer.principal)],
        form=form,
        upload=upload,
        more=len(found) == query.limit,
    )


@router.get("/items/{item_id}")
def one_item(request: Request, viewer: AnalystViewer, item_id: ItemId, done: str = "") -> Response:
    service = service_of(request)
    detail = service.items.detail(item_id, viewer.principal)
    item = detail.item
    writable = access.can_write(viewer.principal, service.store.list_settings(item.list_id))
    return page(
        request,
        "item.html",
        viewer,
        detail=detail,
        item=item,
        writable=writable,
        thumbnail=service.thumbnails.for_items([item.id], viewer.principal).get(item.id),
        vocabulary=[term.label for term in service.labels.vocabulary(viewer.principal)],
        done=done,
    )


@router.post("/items/{item_id}/relabel")
def relabel(
    request: Request,
    viewer: AnalystViewer,
    item_id: ItemId,
    label: Annotated[str, Form(max_length=500)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """The free-text label and note of every hash of the item (empty fields stay as they are)."""
    service_of(request).items.update(
        item_id,
        label=label.strip() or None,
        note=note.strip() or None,
        principal=viewer.principal,
    )
    return back(request, f"/items/{item_id}", done="relabelled")


@router.post("/items/{item_id}/labels")
def labels(
    request: Request,
    viewer: AnalystViewer,
    item_id: ItemId,
    add: Annotated[str, Form(max_length=265)] = "",
    remove: Annotated[str, Form(max_length=265)] = "",
) -> Response:
    service_of(request).items.label(
        item_id,
        [add] if add.strip() else [],
        [remove] if remove.strip() else [],
        principal=viewer.principal,
    )
    return back(request, f"/items/{item_id}", done="labelled")


@router.post("/items/{item_id}/retire")
def retire(
    request: Request,
    viewer: AnalystViewer,
    item_id: ItemId,
    reason: Annotated[str, Form(min_length=1, max_length=10_000)],
) -> Response:
    service_of(request).items.retire(item_id, reason.strip(), principal=viewer.principal)
    return back(request, f"/items/{item_id}", done="retired")


@router.post("/items/{item_id}/restore")
def restore(request: Request, viewer: AnalystViewer, item_id: ItemId) -> Response:
    service_of(request).items.restore(item_id, principal=viewer.principal)
    return back(request, f"/items/{item_id}", done="restored")


def _moment(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"added after is not an ISO time: {text!r}") from None
    if moment.tzinfo is None:
        raise InvalidValue("added after needs a time zone, e.g. 2026-01-01T00:00:00Z")
    return moment


def _hex(text: str) -> bytes | None:
    if not text.strip():
        return None
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        raise InvalidValue("the hash is not hexadecimal") from None
