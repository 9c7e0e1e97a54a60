"""Who acts: the identity the core records in provenance and audit, and checks roles against.

The API derives a :class:`Principal` from the caller's key; the CLI acts as the local operator.
Two kinds of administrator (``docs/security.md``): an **operator** (an admin of no
organisation: the CLI on the database host, or an admin key made without one) runs the whole
deployment; an **organisation admin** (an admin key of an organisation) manages its own
organisation's keys and lists only.
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

    @property
    def is_operator(self) -> bool:
        """Runs the deployment: vocabulary, organisations, every key and every list."""
        return self.organisation is None and self.role is Role.ADMIN


#: The operator when no one is named: the API with authentication switched off (local
#: development), and tests. The CLI names its operator by the login name.
LOCAL_OPERATOR = Principal(name="local", role=Role.ADMIN)
