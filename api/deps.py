"""Dependencies shared by the routes: the service and the caller's identity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hashdb.errors import Forbidden, Unauthorized
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import HashDB

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `hashdb keys create`, sent as `Authorization: Bearer KEY`.",
)


async def get_service(request: Request) -> HashDB:
    service = request.app.state.hashdb
    assert isinstance(service, HashDB)
    return service


ServiceDep = Annotated[HashDB, Depends(get_service)]


NO_KEY = "this needs an API key: send Authorization: Bearer KEY"


async def get_principal(
    request: Request,
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller named by its API key: 401 without a valid one (unless auth is off).

    Async on purpose, like every dependency here: a sync dependency costs a thread-pool hop
    per request. Keys are checked from a short-lived cache (``HASHDB_AUTH_CACHE_SECONDS``), so
    this rarely touches the database; a ``/v1`` request's key was checked before its body was
    read (``api.middleware``), and that caller is taken as it is.
    """
    checked = getattr(request.state, "principal", None)
    if isinstance(checked, Principal):
        return checked
    if not service.settings.auth:
        principal = LOCAL_OPERATOR
    elif credentials is None:
        raise Unauthorized(NO_KEY)
    else:
        principal = service.keys.authenticate(credentials.credentials)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def check_metrics_key(request: Request, service: ServiceDep) -> None:
    """``/metrics`` needs a key (any role) only with ``HASHDB_METRICS_REQUIRE_KEY``. The key
    is read here, not declared as a dependency: the schema documents ``/metrics`` as open,
    which it is by default."""
    if service.settings.metrics_require_key:
        await get_principal(request, service, await bearer(request))


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets a caller through only with at least ``role``."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has(role):
            raise Forbidden(f"this needs the {role.value} role; the key has {principal.role.value}")
        return principal

    return check


PlatformDep = Annotated[Principal, Depends(require(Role.PLATFORM))]
AnalystDep = Annotated[Principal, Depends(require(Role.ANALYST))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
