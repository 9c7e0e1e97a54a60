"""``POST /v1/lookup``: hash-only matching for platforms that hash on their side."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import PlatformDep, ServiceDep
from api.models.lookup import LookupRequest, LookupResponse
from api.problems import PROBLEM_SCHEMA

router = APIRouter(prefix="/v1", tags=["matching"])


@router.post(
    "/lookup",
    response_model=LookupResponse,
    summary="Match hashes (no media) against the lists",
    responses={status: PROBLEM_SCHEMA for status in (401, 403, 404, 422, 503)},
)
def lookup(
    request: Request, body: LookupRequest, service: ServiceDep, caller: PlatformDep
) -> JSONResponse:
    """One result per hash, in order, each with every live entry within its list's threshold.

    A malformed hash fails the whole request with 422, naming it (``hashes.3``).
    """
    digests = [query.digest for query in body.hashes]
    found = service.matching.lookup(digests, body.lists or None, principal=caller)
    metrics = request.app.state.metrics
    metrics.lookups.inc(len(digests))
    for result in found:
        metrics.count_matches(result.matches)
    # A JSONResponse skips re-validating the body against the response model (documented
    # above), which for 1,000 results costs more than the lookup and a thread-pool hop.
    answer = {
        "results": [
            {"algorithm": digest.algorithm, "value": digest.hex, **result.to_dict()}
            for digest, result in zip(digests, found, strict=True)
        ]
    }
    return JSONResponse(answer)
