"""The audit log: who changed what, when, with the state before and after, as far as the
reader may see it.

An operator reads every record. Anyone else needs the analyst role and reads the records about
the lists it can see now, about the vocabulary and the organisations, and about its own
organisation's imports; an organisation admin also those about its organisation's keys.
"""

from __future__ import annotations

from datetime import datetime

from hashdb.errors import Forbidden, InvalidValue
from hashdb.identity import Principal, Role
from hashdb.service.shared import ServicePart
from hashdb.store.models import AUDIT_TARGETS, AuditRecord, AuditScope


class AuditService(ServicePart):
    def records(
        self,
        principal: Principal,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AuditRecord]:
        if target_type is not None and target_type not in AUDIT_TARGETS:
            raise InvalidValue(
                f"target_type: {target_type!r} is not one of {', '.join(sorted(AUDIT_TARGETS))}",
                field="target_type",
            )
        return self.store.audit_records(
            target_type=target_type,
            target_id=target_id,
            since=since,
            limit=limit,
            scope=self.scope(principal),
        )

    def scope(self, principal: Principal) -> AuditScope | None:
        """What ``principal`` may read of the log (None: everything)."""
        if principal.is_operator:
            return None
        if not principal.has(Role.ANALYST):
            raise Forbidden(f"the audit log needs the analyst role; you have {principal.role}")
        if principal.organisation is None:  # a deployment key: it sees every list
            return AuditScope(list_ids=None)
        visible = frozenset(hash_list.id for hash_list in self.service.lists.visible(principal))
        return AuditScope(visible, principal.organisation, keys=principal.has(Role.ADMIN))
