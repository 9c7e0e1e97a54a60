"""API keys: only a key's prefix and its SHA-256 are kept; the key itself exists once, in the
answer to whoever created it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hashdb.identity import Role


@dataclass(frozen=True, slots=True)
class NewApiKey:
    name: str
    role: Role
    prefix: str
    key_hash: str
    organisation: str | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str
    role: Role
    organisation: str | None
    prefix: str
    key_hash: str
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, object]:
        """The public view: never the hash."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "organisation": self.organisation,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
        }
