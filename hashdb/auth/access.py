"""Who may see, match, write and manage a list: one place for the sharing rules.

- A principal without an organisation is the local operator (or a deployment-wide key) and
  sees every list; it writes and manages them with the analyst role.
- Otherwise a list is visible when it has no owner (a deployment list), when it is shared, or
  when the principal's organisation owns it. Invisible lists are reported as not found, so a
  private list's name does not leak.
- Writing entries (add, label, retire) needs the analyst role and either the owner
  organisation or a ``shared-write`` list. Deployment lists are written by the operator only.
- Managing a list (sharing, owner, review radius) needs the owner organisation.
"""

from __future__ import annotations

from hashdb.errors import Forbidden
from hashdb.identity import Principal, Role
from hashdb.store.models import HashList, ListSettings, Sharing


def can_read(principal: Principal, settings: ListSettings) -> bool:
    return (
        principal.organisation is None
        or settings.owner is None
        or settings.sharing is not Sharing.PRIVATE
        or settings.owner == principal.organisation
    )


def can_write(principal: Principal, settings: ListSettings) -> bool:
    if not principal.has(Role.ANALYST) or not can_read(principal, settings):
        return False
    if principal.organisation is None:
        return True
    if settings.owner is None:
        return False
    return settings.owner == principal.organisation or settings.sharing is Sharing.SHARED_WRITE


def can_manage(principal: Principal, settings: ListSettings) -> bool:
    if not principal.has(Role.ANALYST):
        return False
    return principal.organisation is None or settings.owner == principal.organisation


def check_write(principal: Principal, hash_list: HashList, settings: ListSettings) -> None:
    if can_write(principal, settings):
        return
    if not principal.has(Role.ANALYST):
        raise Forbidden(f"changing entries needs the analyst role; you have {principal.role.value}")
    raise Forbidden(
        f"list {hash_list.name!r} is {_describe(settings)}: "
        f"{principal.organisation} may match it but not change it",
        list=hash_list.name,
    )


def check_manage(principal: Principal, hash_list: HashList, settings: ListSettings) -> None:
    if can_manage(principal, settings):
        return
    raise Forbidden(
        f"only analysts of the owner organisation may change the settings of list "
        f"{hash_list.name!r} ({_describe(settings)})",
        list=hash_list.name,
    )


def _describe(settings: ListSettings) -> str:
    owner = settings.owner or "the deployment"
    return f"owned by {owner}, {settings.sharing.value}"
