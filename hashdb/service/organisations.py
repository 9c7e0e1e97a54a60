"""Organisations: who owns lists and entries and whose keys act for them."""

from __future__ import annotations

from hashdb.errors import Forbidden
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service.shared import ServicePart, actor
from hashdb.store.models import Organisation


class OrganisationService(ServicePart):
    """Listing organisations, and creating one (admins)."""

    def list(self) -> list[Organisation]:
        return self.store.organisations()

    def create(
        self, name: str, description: str = "", principal: Principal = LOCAL_OPERATOR
    ) -> Organisation:
        if not principal.has(Role.ADMIN):
            raise Forbidden("creating organisations needs the admin role")
        with self.store.transaction():
            created = self.store.create_organisation(name, description)
            self.store.record_audit(
                actor(principal),
                "organisation.create",
                "organisation",
                created.name,
                None,
                created.to_dict(),
            )
        return created
