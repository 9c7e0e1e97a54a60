"""What the parts of the service share: the base of a sub-service, and how a change names
who made it (in the audit log and on the entries it adds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashdb.errors import Forbidden
from hashdb.identity import LOCAL_OPERATOR, Principal
from hashdb.service.results import EntryMetadata
from hashdb.store import Store

if TYPE_CHECKING:
    from hashdb.service.core import HashDB


class ServicePart:
    """One area of user actions (review, labels, sharing…), exposed as a property of
    :class:`HashDB`. It reaches the store, and the list and entry checks every area shares,
    through the service, so an area never keeps a copy of either."""

    def __init__(self, service: HashDB) -> None:
        self.service = service

    @property
    def store(self) -> Store:
        return self.service.store


def actor(principal: Principal) -> str:
    """How a principal is named in the audit log: ``name@organisation`` or ``name``."""
    if principal.organisation is None:
        return principal.name
    return f"{principal.name}@{principal.organisation}"


def audit_actor(principal: Principal, person: str | None) -> str:
    """Who the audit log names: a key as ``name@organisation`` like every other change; the
    local operator (CLI) as the person given with the change, if any."""
    if principal is LOCAL_OPERATOR and person:
        return person
    return actor(principal)


def entry_added_by(metadata: EntryMetadata, principal: Principal) -> str | None:
    """Who an entry is recorded as added by: as given, else the calling key's name."""
    if metadata.added_by is None and principal is not LOCAL_OPERATOR:
        return principal.name
    return metadata.added_by


def adding_organisation(metadata: EntryMetadata, principal: Principal) -> str | None:
    """The organisation an entry is recorded as added by; only the operator may name one."""
    if principal.organisation is None:
        return metadata.organisation
    if metadata.organisation not in (None, principal.organisation):
        raise Forbidden(
            f"entries you add are recorded as {principal.organisation}'s, "
            f"not {metadata.organisation}'s"
        )
    return principal.organisation
