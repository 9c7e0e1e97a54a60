"""Who acts: the identity the core records in provenance and audit, and checks roles against.

The API derives a :class:`Principal` from the caller's key; the CLI acts as the local operator.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    """Roles in increasing power: each includes the ones before it."""

    PLATFORM = "platform"
    ANALYST = "analyst"
    ADMIN = "admin"


_RANK = {Role.PLATFORM: 0, Role.ANALYST: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    """The name recorded as ``added_by``/``actor``, the role, and the organisation."""

    name: str
    role: Role
    organisation: str | None = None

    def has(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]


#: The operator running the CLI on the database host has every power.
LOCAL_OPERATOR = Principal(name="local", role=Role.ADMIN)
