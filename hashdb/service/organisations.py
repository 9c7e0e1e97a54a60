"""Organisations: who owns lists and entries and whose keys act for them."""

from __future__ import annotations

from hashdb.errors import Forbidden
from hashdb.identity import Principal
from hashdb.service.shared import ServicePart, actor
from hashdb.store.models import Organisation


class OrganisationService(ServicePart):
    """Listing organisations (every caller: the members of a deployment know each other),
    and creating one (operators)."""

    def list(self, principal: Principal) -> list[Organisation]:
        del principal  # every caller may read them; taken so that no route forgets who asks
        return self.store.organisations()

    def create(self, name: str, description: str = "", *, principal: Principal) -> Organisation:
        if not principal.is_operator:
            raise Forbidden("creating organisations is for operators (an admin of no organisation)")
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
