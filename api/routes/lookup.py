"""``POST /v1/lookup``: hash-only matching for platforms that hash on their side."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import PlatformDep, ServiceDep
from api.metrics import Metrics
from api.models.lookup import LookupRequest, LookupResponse
from api.problems import PROBLEM_SCHEMA
from hashdb.identity import Principal
from hashdb.service import HashDB

router = APIRouter(prefix="/v1", tags=["matching"])

#: Lookups of at most this many hashes run on the event loop when the index is current and
#: the database a local SQLite file: a few hundred microseconds of work, less than the hop
#: to a worker thread and back.
INLINE_HASHES = 16


@router.post(
    "/lookup",
    response_model=LookupResponse,
    summary="Match hashes (no media) against the lists",
    responses={status: PROBLEM_SCHEMA for status in (401, 403, 404, 422, 503)},
)
async def lookup(
    request: Request, body: LookupRequest, service: ServiceDep, caller: PlatformDep
) -> JSONResponse:
    """One result per hash, in order, each with every live entry within its list's threshold.

    A malformed hash fails the whole request with 422, naming it (``hashes.3``).
    """
    metrics: Metrics = request.app.state.metrics
    if len(body.hashes) <= INLINE_HASHES and service.matching.answers_in_place():
        answer = _lookup(service, body, caller, metrics)
    else:
        # Changes to apply first (after a bulk import: many), a large batch, or reads over
        # the network: in a worker thread, so the event loop keeps answering meanwhile.
        answer = await run_in_threadpool(_lookup, service, body, caller, metrics)
    # A JSONResponse skips re-validating the body against the response model (documented
    # above), which for 1,000 results costs more than the lookup.
    return JSONResponse(answer)


def _lookup(
    service: HashDB, body: LookupRequest, caller: Principal, metrics: Metrics
) -> dict[str, Any]:
    digests = [query.digest for query in body.hashes]
    found = service.matching.lookup(digests, body.lists or None, principal=caller)
    metrics.lookups.inc(len(digests))
    for result in found:
        metrics.count_matches(result.matches)
    return {
        "results": [
            {"algorithm": digest.algorithm, "value": digest.hex, **result.to_dict()}
            for digest, result in zip(digests, found, strict=True)
        ]
    }
