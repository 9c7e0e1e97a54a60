"""Who owns and shares a list, and its review radius (the rules: :mod:`hashdb.auth.access`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashdb.auth import access
from hashdb.errors import Forbidden, InvalidValue
from hashdb.hashing import get_algorithm
from hashdb.identity import Principal
from hashdb.service.shared import ServicePart, actor
from hashdb.store import HashList, ListAction
from hashdb.store.models import ListSettings, Sharing

if TYPE_CHECKING:
    pass


class SharingService(ServicePart):
    """Reading and changing a list's owner, sharing, review radius and thumbnails."""

    def settings(self, name: str, principal: Principal) -> ListSettings:
        return self.store.list_settings(self.service.lists.get(name, principal).id)

    def update(
        self,
        name: str,
        principal: Principal,
        *,
        sharing: Sharing | None = None,
        owner: str | None = None,
        review_radius: dict[str, int] | None = None,
        keep_thumbnails: bool | None = None,
    ) -> ListSettings:
        """Change who owns and shares a list, its review radius (replacing the old set), and
        whether media added to it keeps a thumbnail; turning that off deletes the list's
        reference thumbnails."""
        with self.store.transaction():
            hash_list = self.service.lists.get(name, principal)
            before = self.store.list_settings(hash_list.id)
            access.check_manage(principal, hash_list, before)
            if owner is not None and owner != before.owner:
                if not principal.is_operator:
                    raise Forbidden("only an operator hands a list to another organisation")
                self.store.get_organisation(owner)  # must exist
            radius = (
                before.review_radius
                if review_radius is None
                else _check_review_radius(hash_list, review_radius)
            )
            after = self.store.save_list_settings(
                ListSettings(
                    hash_list.id,
                    owner if owner is not None else before.owner,
                    Sharing(sharing) if sharing is not None else before.sharing,
                    radius,
                    before.keep_thumbnails if keep_thumbnails is None else keep_thumbnails,
                )
            )
            if not after.keep_thumbnails:
                self.store.delete_list_thumbnails(hash_list.id)
            self.store.record_audit(
                actor(principal),
                "list.settings",
                "list",
                hash_list.name,
                before.to_dict(),
                after.to_dict(),
                list_id=hash_list.id,
            )
        self.service.lists_changed()
        return after


def _check_review_radius(hash_list: HashList, radius: dict[str, int]) -> dict[str, int]:
    if radius and hash_list.action is ListAction.ALLOW:
        raise InvalidValue("an allow list has no review radius")
    checked: dict[str, int] = {}
    for name, bits in radius.items():
        algorithm = get_algorithm(name)
        threshold = hash_list.thresholds.get(algorithm.name)
        if threshold is None:
            raise InvalidValue(
                f"list {hash_list.name!r} does not match on {algorithm.name}; "
                "give it a threshold first",
                algorithm=algorithm.name,
            )
        if algorithm.exact or not threshold < bits <= algorithm.bits // 2:
            raise InvalidValue(
                f"the review radius for {algorithm.name} must be wider than the threshold "
                f"({threshold}) and at most {algorithm.bits // 2}",
                algorithm=algorithm.name,
                radius=bits,
            )
        checked[algorithm.name] = int(bits)
    return checked
