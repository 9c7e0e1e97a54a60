"""Dependencies shared by the routes: the service and the caller's identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from hashdb.errors import Forbidden
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import HashDB


def get_service(request: Request) -> HashDB:
    service = request.app.state.hashdb
    assert isinstance(service, HashDB)
    return service


ServiceDep = Annotated[HashDB, Depends(get_service)]


def get_principal(request: Request) -> Principal:
    # Placeholder until API keys exist: every caller is a local admin.
    return LOCAL_OPERATOR


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(role: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets a caller through only with at least ``role``."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.has(role):
            raise Forbidden(f"this needs the {role.value} role; the key has {principal.role.value}")
        return principal

    return check
