"""``POST /v1/lookup``: hash-only matching for platforms that hash on their side."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import PlatformDep, ServiceDep
from api.metrics import Metrics
from api.models.lookup import LookupRequest, LookupResponse
from api.problems import PROBLEM_SCHEMA
from api.responses import JSONAnswer
from api.routing import LeanRoute
from hashdb.hashing import Digest
from hashdb.matching.result import MatchResult

# The hottest route: answered without FastAPI's general per-request solver (api.routing).
router = APIRouter(prefix="/v1", tags=["matching"], route_class=LeanRoute)

#: Lookups of at most this many hashes run on the event loop when they need not wait on the
#: database (``MatchingService.begin_lookup``): a few hundred microseconds of work, less
#: than the hop to a worker thread and back.
INLINE_HASHES = 16


@router.post(
    "/lookup",
    response_model=LookupResponse,
    summary="Match hashes (no media) against the lists",
    responses={status: PROBLEM_SCHEMA for status in (401, 403, 404, 422, 503)},
)
async def lookup(
    request: Request, body: LookupRequest, service: ServiceDep, caller: PlatformDep
) -> JSONAnswer:
    """One result per hash, in order, each with every live entry within its list's threshold.

    A malformed hash fails the whole request with 422, naming it (``hashes.3``).
    """
    metrics: Metrics = request.app.state.metrics
    digests = [query.digest for query in body.hashes]
    plan = service.matching.begin_lookup(
        digests,
        body.lists or None,
        principal=caller,
        in_place=len(digests) <= INLINE_HASHES,
    )
    if plan.in_place:
        found = plan.finish()
    elif plan.finish_async is not None:
        # Only the entries left to read, over the network: awaited, the loop answers others.
        found = await plan.finish_async()
    else:
        # Changes to apply first (after a bulk import: many), or a large batch: in a worker
        # thread, so the event loop keeps answering meanwhile.
        found = await run_in_threadpool(plan.finish)
    answer = _answer(digests, found, metrics)
    # A JSONAnswer skips re-validating the body against the response model (documented
    # above), which for 1,000 results costs more than the lookup.
    return JSONAnswer(answer)


def _answer(digests: list[Digest], found: list[MatchResult], metrics: Metrics) -> dict[str, Any]:
    metrics.lookups.inc(len(digests))
    for result in found:
        metrics.count_matches(result.matches)
    return {
        "results": [
            {"algorithm": digest.algorithm, "value": digest.hex, **result.to_dict()}
            for digest, result in zip(digests, found, strict=True)
        ]
    }
