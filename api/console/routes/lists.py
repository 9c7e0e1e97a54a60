"""Lists: every visible list with its counts, action, thresholds and sharing; create and edit
for those the service lets manage them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from api.console.render import back, page
from api.console.viewer import AnalystViewer, Viewer, service_of
from hashdb.auth import access
from hashdb.errors import InvalidValue
from hashdb.hashing import ALGORITHMS
from hashdb.service import HashDB
from hashdb.store.models import (
    HashList,
    ListAction,
    ListSettings,
    MatchingMode,
    NewList,
    Sharing,
)

router = APIRouter()

ListName = Annotated[str, Path(min_length=1, max_length=200)]


async def form_data(request: Request) -> FormData:
    """The posted form, for pages whose fields depend on the data (one per algorithm)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


@dataclass(frozen=True)
class ListView:
    """What the lists pages show of one list."""

    list: HashList
    settings: ListSettings
    live_entries: int
    manageable: bool


def _view(service: HashDB, viewer: Viewer, hash_list: HashList) -> ListView:
    settings = service.sharing.settings(hash_list.name, viewer.principal)
    return ListView(
        hash_list,
        settings,
        service.lists.live_entries(hash_list),
        access.can_manage(viewer.principal, settings),
    )


@router.get("/lists")
def all_lists(request: Request, viewer: AnalystViewer, done: str = "") -> Response:
    service = service_of(request)
    views = [
        _view(service, viewer, hash_list) for hash_list in service.lists.visible(viewer.principal)
    ]
    return page(
        request,
        "lists.html",
        viewer,
        views=views,
        actions=list(ListAction),
        modes=list(MatchingMode),
        sharings=list(Sharing),
        done=done,
    )


@router.post("/lists")
def create_list(
    request: Request,
    viewer: AnalystViewer,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    action: Annotated[ListAction, Form()] = ListAction.BLOCK,
    description: Annotated[str, Form(max_length=2000)] = "",
    sharing: Annotated[Sharing | None, Form()] = None,
    matching_mode: Annotated[MatchingMode, Form()] = MatchingMode.ROBUST,
) -> Response:
    service = service_of(request)
    created = service.lists.create(
        NewList(
            name=name.strip(),
            description=description.strip(),
            action=action,
            matching_mode=matching_mode,
        ),
        viewer.principal,
        sharing=sharing,
    )
    return back(request, f"/lists/{created.name}", done="created")


@router.get("/lists/{name}")
def one_list(request: Request, viewer: AnalystViewer, name: ListName, done: str = "") -> Response:
    service = service_of(request)
    view = _view(service, viewer, service.lists.get(name, viewer.principal))
    return page(
        request,
        "list.html",
        viewer,
        view=view,
        algorithms=ALGORITHMS,
        actions=list(ListAction),
        modes=list(MatchingMode),
        sharings=list(Sharing),
        done=done,
    )


@router.post("/lists/{name}")
def update_list(
    request: Request,
    viewer: AnalystViewer,
    name: ListName,
    form: FormDep,
    action: Annotated[ListAction, Form()],
    description: Annotated[str, Form(max_length=2000)] = "",
    matching_mode: Annotated[MatchingMode | None, Form()] = None,
) -> Response:
    """Action, description, matching mode and thresholds (an empty threshold: not matched on
    that hash)."""
    service_of(request).lists.update(
        name,
        description=description.strip(),
        action=action,
        matching_mode=matching_mode,
        thresholds=_per_algorithm(form, "threshold"),
        principal=viewer.principal,
    )
    return back(request, f"/lists/{name}", done="saved")


@router.post("/lists/{name}/sharing")
def update_sharing(
    request: Request,
    viewer: AnalystViewer,
    name: ListName,
    form: FormDep,
    sharing: Annotated[Sharing, Form()],
    keep_thumbnails: Annotated[bool, Form()] = False,
) -> Response:
    """Who else sees the list, the review radius that sends near-misses to review, and
    whether media added to it keeps a thumbnail (an unticked box: no)."""
    service_of(request).sharing.update(
        name,
        viewer.principal,
        sharing=sharing,
        review_radius=_per_algorithm(form, "radius"),
        keep_thumbnails=keep_thumbnails,
    )
    return back(request, f"/lists/{name}", done="shared")


def _per_algorithm(form: FormData, prefix: str) -> dict[str, int]:
    """``PREFIX_ALGORITHM`` fields as numbers; an empty field leaves the algorithm out."""
    values: dict[str, int] = {}
    for algorithm in ALGORITHMS:
        raw = form.get(f"{prefix}_{algorithm}")
        if not isinstance(raw, str) or not raw.strip():
            continue
        try:
            values[algorithm] = int(raw)
        except ValueError:
            raise InvalidValue(f"{prefix} for {algorithm} must be a whole number") from None
    return values
