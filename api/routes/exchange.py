"""Bulk export and import of hash lists (analyst): the API side of ``hashdb export|import``."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from api.deps import AnalystDep, ServiceDep
from api.problems import PROBLEM_SCHEMA
from hashdb.errors import ImportRejected, InvalidValue
from hashdb.exchange import ExchangeFormat, detect_format

router = APIRouter(
    prefix="/v1",
    tags=["exchange"],
    responses={status: PROBLEM_SCHEMA for status in (400, 401, 403, 404, 413, 422, 503)},
)

_MEDIA_TYPES = {
    ExchangeFormat.JSONL: "application/x-ndjson",
    ExchangeFormat.CSV: "text/csv",
    ExchangeFormat.TE: "text/csv",
}


@router.get(
    "/export",
    summary="Export lists as JSONL, CSV or te",
    response_class=Response,
    responses={200: {"content": {media: {} for media in _MEDIA_TYPES.values()}}},
)
def export_lists(
    service: ServiceDep,
    principal: AnalystDep,
    list_names: Annotated[
        list[str] | None,
        Query(alias="list", description="Lists to export (repeatable; default: all you see)."),
    ] = None,
    fmt: Annotated[ExchangeFormat, Query(alias="format")] = ExchangeFormat.JSONL,
    since: Annotated[
        datetime | None, Query(description="Only entries added or retired at or after this.")
    ] = None,
    entries_only: Annotated[
        bool, Query(description="JSONL without the vocabulary and list definition lines.")
    ] = False,
) -> Response:
    """The `hashdb export` file of the lists the caller can see (built in memory: use the
    CLI for exports of millions of entries)."""
    if since is not None and since.tzinfo is None:
        raise InvalidValue("since needs a time zone, e.g. 2026-01-01T00:00:00Z")
    out = io.StringIO()
    count = service.exchange.export(
        out,
        fmt,
        lists=list_names or None,
        since=since,
        definitions=not entries_only,
        principal=principal,
    )
    return Response(
        out.getvalue(),
        media_type=_MEDIA_TYPES[fmt],
        headers={"X-Hashdb-Entries": str(count)},
    )


@router.post("/import", summary="Import a JSONL, CSV or te file")
def import_file(
    service: ServiceDep,
    principal: AnalystDep,
    file: Annotated[UploadFile, File(description="The file, as `hashdb import` reads it.")],
    list_name: Annotated[
        str | None,
        Query(alias="list", max_length=200, description="Import into this list."),
    ] = None,
    fmt: Annotated[
        ExchangeFormat | None,
        Query(alias="format", description="Default: from the file name's extension."),
    ] = None,
    skip_bad: Annotated[bool, Query(description="Skip bad rows instead of aborting.")] = False,
    force: Annotated[bool, Query(description="Also import degenerate hashes.")] = False,
) -> dict[str, Any]:
    """All or nothing, like the CLI: a bad row gives 422 `import_rejected` with every bad
    line, and nothing is written unless `skip_bad`."""
    name = Path(file.filename or "")
    exchange_format = detect_format(name if name.suffix else None, fmt.value if fmt else None)
    stream = io.TextIOWrapper(file.file, encoding="utf-8", newline="")
    try:
        report = service.exchange.import_stream(
            stream,
            exchange_format,
            list_name=list_name,
            source=file.filename or "upload",
            skip_bad=skip_bad,
            force=force,
            principal=principal,
        )
    except UnicodeDecodeError as exc:
        raise ImportRejected(f"the file is not UTF-8 text ({exc.reason})") from None
    finally:
        stream.detach()
    return report.to_dict()
