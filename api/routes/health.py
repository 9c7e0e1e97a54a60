"""Operations: liveness, readiness and Prometheus metrics. No key needed (metrics: unless
``HASHDB_METRICS_REQUIRE_KEY``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ServiceDep, check_metrics_key
from api.problems import PROBLEM_SCHEMA
from api.schemas import Health
from hashdb.errors import StoreUnavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The database answers and the index is loaded",
    responses={503: PROBLEM_SCHEMA},
)
def readyz(service: ServiceDep) -> Health:
    service.ready()
    if not service.pipeline.indexes.loaded:
        raise StoreUnavailable("the index is not loaded yet")
    return Health(status="ready")


@router.get(
    "/metrics",
    summary="Prometheus metrics of this worker",
    description=(
        "No list is named: matches are counted by the action of the list and the algorithm. "
        "Needs no key unless `HASHDB_METRICS_REQUIRE_KEY` is set (then any key)."
    ),
    response_class=Response,
    dependencies=[Depends(check_metrics_key)],
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
        401: PROBLEM_SCHEMA,
    },
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
