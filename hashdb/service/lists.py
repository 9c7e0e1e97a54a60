"""Lists: create, read, change and delete them, within what the caller may see and manage."""

from __future__ import annotations

from dataclasses import asdict

from hashdb.auth import access
from hashdb.errors import Forbidden, ListNotFound
from hashdb.identity import Principal, Role
from hashdb.service.shared import ServicePart, actor
from hashdb.store.models import (
    HashList,
    ListAction,
    ListSettings,
    MatchingMode,
    NewList,
    Sharing,
    VideoRule,
)


class ListService(ServicePart):
    """Every action on lists; each change is audited in the transaction that makes it."""

    def visible(self, principal: Principal) -> list[HashList]:
        """The lists ``principal`` can see."""
        settings = self.store.all_list_settings()
        return [
            hash_list
            for hash_list in self.store.lists()
            if access.can_read(principal, settings.get(hash_list.id, ListSettings(hash_list.id)))
        ]

    def editable(self, principal: Principal) -> list[HashList]:
        """The lists ``principal`` may add entries to and retire them from."""
        settings = self.store.all_list_settings()
        return [
            hash_list
            for hash_list in self.store.lists()
            if access.can_write(principal, settings.get(hash_list.id, ListSettings(hash_list.id)))
        ]

    def live_entries(self, hash_list: HashList) -> int:
        """How many live entries a list holds (the caller has the list: it could see it)."""
        return self.store.count_entries(hash_list.id)

    def get(self, name: str, principal: Principal) -> HashList:
        """A list by name; one the principal cannot see is reported as not found."""
        hash_list = self.store.get_list(name)
        if not access.can_read(principal, self.store.list_settings(hash_list.id)):
            raise ListNotFound.named(name)
        return hash_list

    def create(
        self,
        new: NewList,
        principal: Principal,
        *,
        sharing: Sharing | None = None,
        owner: str | None = None,
    ) -> HashList:
        """Create a list owned by the principal's organisation (the operator may name one)."""
        if not principal.has(Role.ANALYST):
            raise Forbidden(f"creating lists needs the analyst role; you have {principal.role}")
        if not principal.is_operator:
            if owner not in (None, principal.organisation):
                raise Forbidden("a list can only be created for your own organisation")
            owner = principal.organisation
        with self.store.transaction():
            if owner is not None:
                self.store.ensure_organisation(owner)
            created = self.store.create_list(new)
            if owner is not None or sharing is not None:
                sharing = sharing or Sharing(self.service.settings.default_sharing)
                self.store.save_list_settings(ListSettings(created.id, owner, Sharing(sharing)))
            self.store.record_audit(
                actor(principal),
                "list.create",
                "list",
                created.name,
                None,
                {**created.to_dict(), **self.store.list_settings(created.id).to_dict()},
                list_id=created.id,
            )
        self.service.lists_changed()
        return created

    def update(
        self,
        name: str,
        *,
        description: str | None = None,
        action: ListAction | None = None,
        thresholds: dict[str, int] | None = None,
        matching_mode: MatchingMode | None = None,
        principal: Principal,
    ) -> HashList:
        with self.store.transaction():
            before = self.get(name, principal)
            access.check_manage(principal, before, self.store.list_settings(before.id))
            updated = self.store.update_list(
                name,
                description=description,
                action=action,
                thresholds=thresholds,
                matching_mode=matching_mode,
            )
            self.store.record_audit(
                actor(principal),
                "list.update",
                "list",
                name,
                before=before.to_dict(),
                after=updated.to_dict(),
                list_id=before.id,
            )
        self.service.lists_changed()
        return updated

    def delete(self, name: str, principal: Principal) -> HashList:
        """Delete a list that never held an entry (409 :class:`Conflict` otherwise)."""
        with self.store.transaction():
            hash_list = self.get(name, principal)
            access.check_manage(principal, hash_list, self.store.list_settings(hash_list.id))
            deleted = self.store.delete_list(name)
            self.store.record_audit(
                actor(principal),
                "list.delete",
                "list",
                name,
                before=deleted.to_dict(),
                list_id=deleted.id,
            )
        self.service.lists_changed()
        return deleted

    def taken(self, name: str) -> bool:
        """Whether a list of that name exists, seen by the caller or not: the one thing one
        namespace of list names tells everyone."""
        try:
            self.store.get_list(name)
        except ListNotFound:
            return False
        return True

    def writable(self, name: str, principal: Principal, *, create: bool) -> HashList:
        """The list entries are about to be written to (created if allowed), access-checked."""
        try:
            hash_list = self.get(name, principal)
        except ListNotFound:
            if not create:
                raise
            # A name taken by a list the caller cannot see fails here as taken (409), with
            # the answer a visible list gets: never a second list of that name.
            return self.create(NewList(name=name), principal)
        access.check_write(principal, hash_list, self.store.list_settings(hash_list.id))
        return hash_list

    def check_write_on(self, principal: Principal, list_name: str, list_id: int) -> None:
        """Raise Forbidden unless ``principal`` may change entries and items of that list."""
        access.check_write(
            principal, self.store.get_list(list_name), self.store.list_settings(list_id)
        )

    def set_video_rule(
        self,
        list_name: str,
        min_query_share: float,
        min_reference_share: float,
        *,
        principal: Principal,
    ) -> VideoRule:
        """Set the shares of time a video-to-video match needs on one list (its managers)."""
        rule = VideoRule(min_query_share, min_reference_share)
        with self.store.transaction():
            hash_list = self.get(list_name, principal)
            access.check_manage(principal, hash_list, self.store.list_settings(hash_list.id))
            before = self.video_rule(list_name, principal)
            self.store.set_video_rule(hash_list.id, rule)
            self.store.record_audit(
                actor(principal),
                "list.video_rule",
                "list",
                hash_list.name,
                before=asdict(before),
                after=asdict(rule),
                list_id=hash_list.id,
            )
        return rule

    def video_rule(self, list_name: str, principal: Principal) -> VideoRule:
        hash_list = self.get(list_name, principal)
        settings = self.service.settings
        default = VideoRule(settings.video_min_query_share, settings.video_min_reference_share)
        return self.store.video_rules().get(hash_list.id, default)
