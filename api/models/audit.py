from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class AuditPublic(BaseModel):
    id: int
    at: str
    actor: str | None
    action: str
    target_type: str
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
