"""Items: a piece of media (or a raw hash added alone) with its hashes, which analysts read,
relabel, retire and restore as one, within what the caller may see and write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from hashdb.auth import access
from hashdb.errors import Forbidden, ItemNotFound
from hashdb.identity import Principal, Role
from hashdb.service.shared import ServicePart, acting_person, actor, audit_actor
from hashdb.store.models import AuditRecord, FeedbackCounts, Item, ItemQuery, count_latest


@dataclass(frozen=True)
class ItemDetail:
    """An item with what its page shows: feedback on its hashes and its audit trail."""

    item: Item
    feedback: FeedbackCounts
    audit: list[AuditRecord]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.item.to_dict(),
            "feedback": self.feedback.to_dict(),
            "audit": [record.to_dict() for record in self.audit],
        }


class ItemService(ServicePart):
    """Every action on items; each change is audited in its transaction, on the item and on
    each hash it changed."""

    def get(self, item_id: int, principal: Principal) -> Item:
        """An item; one on a list the principal cannot see is reported as not found."""
        try:
            item = self.store.get_item(item_id)
        except ItemNotFound:
            raise ItemNotFound(f"no item with id {item_id}", item_id=item_id) from None
        if not access.can_read(principal, self.store.list_settings(item.list_id)):
            raise ItemNotFound(f"no item with id {item_id}", item_id=item_id)
        return item

    def detail(self, item_id: int, principal: Principal) -> ItemDetail:
        """The item, the feedback counts over its hashes and its audit trail (the item's
        records and those of each of its hashes, oldest first)."""
        if not principal.has(Role.ANALYST):
            raise Forbidden("reading items needs the analyst role")
        item = self.get(item_id, principal)
        found = self.store.feedback_for([entry.id for entry in item.entries])
        votes = [vote for entry in item.entries for vote in found.get(entry.id, [])]
        records = self.service.audit.records(principal, target_type="item", target_id=str(item.id))
        for entry in item.entries:
            records += self.service.audit.records(
                principal, target_type="entry", target_id=str(entry.id)
            )
        records.sort(key=lambda record: record.id)
        return ItemDetail(item, count_latest(sorted(votes, key=lambda v: v.id)), records)

    def search(self, query: ItemQuery, principal: Principal) -> list[Item]:
        """Items matching ``query`` on the lists ``principal`` can see; a list it names but
        cannot see is not found, as a missing one is."""
        if query.list_name is not None:
            self.service.lists.get(query.list_name, principal)
        if principal.organisation is not None:
            visible = frozenset(hash_list.id for hash_list in self.service.lists.visible(principal))
            query = replace(query, list_ids=visible)
        return self.store.search_items(query)

    def check_write(self, principal: Principal, item: Item) -> None:
        """Raise Forbidden unless ``principal`` may change items on ``item``'s list."""
        self.service.lists.check_write_on(principal, item.list_name, item.list_id)

    def retire(
        self,
        item_id: int,
        reason: str,
        retired_by: str | None = None,
        *,
        principal: Principal,
    ) -> Item:
        """Retire every hash of the item: none of them matches any more, and all stay for
        audit. ``retired_by`` is the caller's name unless an operator names someone."""
        with self.store.transaction():
            before = self.get(item_id, principal)
            self.check_write(principal, before)
            retired_by = acting_person(principal, retired_by)
            after = self.store.retire_item(item_id, reason, retired_by)
            self._audit(principal, "retire", before, after, person=retired_by)
        return after

    def restore(self, item_id: int, *, principal: Principal) -> Item:
        """Bring back the hashes retired with the item: they match again at once."""
        with self.store.transaction():
            before = self.get(item_id, principal)
            self.check_write(principal, before)
            after = self.store.restore_item(item_id)
            self._audit(principal, "restore", before, after)
        return after

    def update(
        self,
        item_id: int,
        *,
        label: str | None = None,
        note: str | None = None,
        principal: Principal,
    ) -> Item:
        """Relabel the item or change its note: every one of its hashes explains a match with
        the new text at once."""
        with self.store.transaction():
            before = self.get(item_id, principal)
            self.check_write(principal, before)
            for entry in before.entries:
                self.store.update_entry(entry.id, label=label, note=note)
            after = self.store.get_item(item_id)
            self._audit(principal, "update", before, after)
        return after

    def label(
        self,
        item_id: int,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        *,
        principal: Principal,
    ) -> Item:
        """Add and remove controlled labels on every hash of the item."""
        with self.store.transaction():
            before = self.get(item_id, principal)
            self.check_write(principal, before)
            for entry in before.entries:
                self.store.set_entry_labels(entry.id, add, remove)
            after = self.store.get_item(item_id)
            changed = [
                (old, new)
                for old, new in zip(before.entries, after.entries, strict=True)
                if old.labels != new.labels
            ]
            if changed:
                self.store.record_audit(
                    actor(principal),
                    "item.label",
                    "item",
                    str(item_id),
                    {"labels": list(before.labels)},
                    {"labels": list(after.labels)},
                    list_id=after.list_id,
                )
            for old, new in changed:
                self.store.record_audit(
                    actor(principal),
                    "entry.label",
                    "entry",
                    str(new.id),
                    {"labels": list(old.labels)},
                    {"labels": list(new.labels)},
                    list_id=new.list_id,
                )
        return after

    def _audit(
        self,
        principal: Principal,
        action: str,
        before: Item,
        after: Item,
        *,
        person: str | None = None,
    ) -> None:
        """One record on the item, and one on each of its hashes that changed (so a hash's
        own trail stays whole)."""
        who = audit_actor(principal, person)
        self.store.record_audit(
            who,
            f"item.{action}",
            "item",
            str(after.id),
            before=before.to_dict(),
            after=after.to_dict(),
            list_id=after.list_id,
        )
        for old, new in zip(before.entries, after.entries, strict=True):
            if old != new:
                self.store.record_audit(
                    who,
                    f"entry.{action}",
                    "entry",
                    str(new.id),
                    before=old.to_dict(),
                    after=new.to_dict(),
                    list_id=new.list_id,
                )
