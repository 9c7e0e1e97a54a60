"""What the parts of the service share: the base of a sub-service, and how a change names
who made it (in the audit log and on the entries it adds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashdb.errors import Forbidden
from hashdb.identity import Principal
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
    """Who the audit log names: the caller as ``name@organisation``, like every other change;
    an operator acting for someone it names (the CLI's ``--by``) as that person."""
    if principal.is_operator and person:
        return person
    return actor(principal)


def acting_person(principal: Principal, named: str | None) -> str | None:
    """Who a retirement is recorded as done by: the caller, unless an operator names someone
    (the CLI's ``--by``)."""
    return named if principal.is_operator else principal.name


def entry_added_by(metadata: EntryMetadata, principal: Principal) -> str | None:
    """Who an entry is recorded as added by: the caller's name; an operator may name the
    person it adds for (or no one)."""
    if principal.is_operator:
        return metadata.added_by
    return principal.name


def adding_organisation(metadata: EntryMetadata, principal: Principal) -> str | None:
    """The organisation an entry is recorded as added by: the caller's (none for a
    deployment key); only an operator may name another."""
    if principal.is_operator:
        return metadata.organisation
    if metadata.organisation not in (None, principal.organisation):
        mine = f"{principal.organisation}'s" if principal.organisation else "no organisation's"
        raise Forbidden(f"entries you add are recorded as {mine}, not {metadata.organisation}'s")
    return principal.organisation
