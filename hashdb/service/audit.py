"""The audit log: who changed what, when, with the state before and after."""

from __future__ import annotations

from datetime import datetime

from hashdb.service.shared import ServicePart
from hashdb.store.models import AuditRecord


class AuditService(ServicePart):
    def records(
        self,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AuditRecord]:
        return self.store.audit_records(
            target_type=target_type, target_id=target_id, since=since, limit=limit
        )
