"""Dependencies shared by the routes: the service and the caller's identity."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hashdb.errors import Forbidden
from hashdb.service import HashDB


def get_service(request: Request) -> HashDB:
    service = request.app.state.hashdb
    assert isinstance(service, HashDB)
    return service


ServiceDep = Annotated[HashDB, Depends(get_service)]


class Role(enum.StrEnum):
    """Roles in increasing power: each includes the ones before it."""

    PLATFORM = "platform"
    ANALYST = "analyst"
    ADMIN = "admin"


_RANK = {Role.PLATFORM: 0, Role.ANALYST: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the name recorded as ``added_by``/``actor``, role and organisation."""

    name: str
    role: Role
    organisation: str | None = None

    def has(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]


def get_principal(request: Request) -> Principal:
    # Placeholder until API keys exist: every caller is a local admin.
    return Principal(name="local", role=Role.ADMIN)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(role: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets a caller through only with at least ``role``."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.has(role):
            raise Forbidden(f"this needs the {role.value} role; the key has {principal.role.value}")
        return principal

    return check
