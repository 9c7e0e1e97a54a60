"""Add media: several files at once (dropped or chosen), each hashed and added on its own, with
its hashes, their quality and any refusal shown per file; or raw hashes from a partner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.responses import Response

from api.console.render import page
from api.console.viewer import AnalystViewer, Viewer, service_of
from api.uploads import read_upload
from hashdb.errors import MediaError
from hashdb.hashing import ALGORITHMS
from hashdb.service import AddReport, EntryMetadata

router = APIRouter()


@dataclass
class FileOutcome:
    """What became of one file: its report, or why it could not be read at all."""

    name: str
    report: AddReport | None = None
    error: str | None = None
    #: Entry id -> PDQ/perceptual quality of the hash stored there.
    quality: dict[int, int | None] = field(default_factory=dict)


def _form(request: Request, viewer: Viewer, **context: object) -> Response:
    service = service_of(request)
    return page(
        request,
        "add.html",
        viewer,
        lists=service.lists.editable(viewer.principal),
        vocabulary=service.labels.vocabulary(viewer.principal),
        algorithms=[name for name, algorithm in ALGORITHMS.items() if not algorithm.exact],
        **context,
    )


@router.get("/add")
def add_page(
    request: Request,
    viewer: AnalystViewer,
    list_name: Annotated[str, Query(alias="list", max_length=200)] = "",
) -> Response:
    return _form(request, viewer, outcomes=None, chosen=list_name)


@router.post("/add")
def add_media(
    request: Request,
    viewer: AnalystViewer,
    list_name: Annotated[str, Form(alias="list", min_length=1, max_length=200)],
    files: Annotated[list[UploadFile], File()],
    label: Annotated[str, Form(max_length=500)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
    source: Annotated[str, Form(max_length=2000)] = "",
    labels: Annotated[list[str] | None, Form()] = None,
) -> Response:
    service = service_of(request)
    metadata = _metadata(label, note, source, labels)
    outcomes: list[FileOutcome] = []
    for upload in files:
        outcome = FileOutcome(upload.filename or "upload")
        try:
            outcome.report = service.adding.media(
                list_name,
                read_upload(service, upload),
                metadata,
                create_list=False,
                principal=viewer.principal,
            )
        except MediaError as refused:  # this file only: the others are still added
            outcome.error = refused.message
        else:
            for added in outcome.report.added:
                entry = service.entries.get(added.entry_id, viewer.principal)
                outcome.quality[added.entry_id] = entry.quality
        outcomes.append(outcome)
    return _form(request, viewer, outcomes=outcomes, chosen=list_name)


@router.post("/add/hashes")
def add_hashes(
    request: Request,
    viewer: AnalystViewer,
    list_name: Annotated[str, Form(alias="list", min_length=1, max_length=200)],
    algorithm: Annotated[str, Form(max_length=20)],
    hashes: Annotated[str, Form(max_length=1_000_000)],
    label: Annotated[str, Form(max_length=500)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
    source: Annotated[str, Form(max_length=2000)] = "",
    labels: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Raw hashes, one a line; a malformed one adds nothing (the service says which)."""
    service = service_of(request)
    report = service.adding.hex(
        list_name,
        algorithm,
        [line.strip() for line in hashes.splitlines() if line.strip()],
        _metadata(label, note, source, labels),
        create_list=False,
        principal=viewer.principal,
    )
    outcome = FileOutcome(f"{len(report.added) + len(report.refused)} {algorithm} hashes", report)
    return _form(request, viewer, outcomes=[outcome], chosen=list_name)


def _metadata(label: str, note: str, source: str, labels: list[str] | None) -> EntryMetadata:
    return EntryMetadata(
        label=label.strip() or None,
        note=note.strip() or None,
        source=source.strip() or None,
        labels=tuple(labels or ()),
    )
