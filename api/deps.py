"""Dependencies shared by the routes: the service and the caller's identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from hashdb.errors import Forbidden, Unauthorized
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import HashDB


async def get_service(request: Request) -> HashDB:
    service = request.app.state.hashdb
    assert isinstance(service, HashDB)
    return service


ServiceDep = Annotated[HashDB, Depends(get_service)]


NO_KEY = "this needs an API key: send Authorization: Bearer KEY"


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer KEY`` header, or None without one."""
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def identify(request: Request) -> Principal:
    """The caller named by the request's API key: 401 without a valid one (unless auth is off).

    A ``/v1`` request's key was checked before its body was read (``api.middleware``), and
    that caller is taken as it is. Keys are checked from a short-lived cache
    (``HASHDB_AUTH_CACHE_SECONDS``), so this rarely touches the database.
    """
    state = request.scope.setdefault("state", {})
    checked = state.get("principal")
    if isinstance(checked, Principal):
        return checked
    service = request.app.state.hashdb
    if not service.settings.auth:
        principal = LOCAL_OPERATOR
    else:
        key = bearer_key(request.headers.get("authorization"))
        if key is None:
            raise Unauthorized(NO_KEY)
        principal = service.keys.authenticate(key)
    state["principal"] = principal
    return principal


class Caller(SecurityBase):
    """The dependency that names a route's caller, with at least ``role`` (403 otherwise).

    One dependency with no dependencies of its own: FastAPI solves each level of a route's
    dependency tree anew on every request (tens of microseconds each), which was a sixth of
    a one-hash lookup's time in the app when the caller came from three levels (the bearer
    scheme, the key check, the role check). As a security scheme it is what OpenAPI
    documents: ``Authorization: Bearer KEY``.

    Async on purpose, like every dependency here: a sync dependency costs a thread-pool hop
    per request.
    """

    def __init__(self, role: Role | None = None) -> None:
        self.model = HTTPBearerModel(
            description="An API key from `hashdb keys create`, sent as `Authorization: Bearer KEY`."
        )
        self.scheme_name = "apiKey"
        self.role = role

    async def __call__(self, request: Request) -> Principal:
        principal = identify(request)
        if self.role is not None and not principal.has(self.role):
            raise Forbidden(
                f"this needs the {self.role.value} role; the key has {principal.role.value}"
            )
        return principal


PrincipalDep = Annotated[Principal, Depends(Caller())]


async def check_metrics_key(request: Request, service: ServiceDep) -> None:
    """``/metrics`` needs a key (any role) only with ``HASHDB_METRICS_REQUIRE_KEY``. The key
    is read here, not declared as a dependency: the schema documents ``/metrics`` as open,
    which it is by default."""
    if service.settings.metrics_require_key:
        identify(request)


def require(role: Role) -> Caller:
    """A dependency that lets a caller through only with at least ``role``."""
    return Caller(role)


PlatformDep = Annotated[Principal, Depends(require(Role.PLATFORM))]
AnalystDep = Annotated[Principal, Depends(require(Role.ANALYST))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
