"""Entries: read, relabel, retire and search them, within what the caller may see and write."""

from __future__ import annotations

from dataclasses import replace

from hashdb.auth import access
from hashdb.errors import Conflict, EntryNotFound
from hashdb.identity import Principal
from hashdb.service.shared import ServicePart, acting_person, actor, audit_actor
from hashdb.store.models import Entry, EntryQuery, ItemScope


class EntryService(ServicePart):
    """Every action on existing entries; each change is audited in its transaction."""

    def get(self, entry_id: int, principal: Principal) -> Entry:
        """An entry; one on a list the principal cannot see is reported as not found."""
        entry = self.store.get_entry(entry_id)
        if not access.can_read(principal, self.store.list_settings(entry.list_id)):
            raise EntryNotFound(f"no entry with id {entry_id}", entry_id=entry_id)
        return entry

    def check_write(self, principal: Principal, entry: Entry) -> None:
        """Raise Forbidden unless ``principal`` may change entries on ``entry``'s list."""
        self.service.lists.check_write_on(principal, entry.list_name, entry.list_id)

    def retire(
        self,
        entry_id: int,
        reason: str,
        retired_by: str | None = None,
        *,
        scope: ItemScope = ItemScope.ITEM,
        principal: Principal,
    ) -> Entry:
        """Retire an entry's item (every hash of the same file), or with ``scope`` entry
        this one hash only: it stops matching at once and stays for audit. ``retired_by`` is
        the caller's name unless an operator names someone."""
        with self.store.transaction():
            entry = self.get(entry_id, principal)
            self.check_write(principal, entry)
            if scope is ItemScope.ITEM and entry.item_id is not None:
                if not entry.live:
                    retired_at = entry.retired_at.isoformat() if entry.retired_at else "?"
                    raise Conflict(
                        f"entry {entry_id} was already retired at {retired_at}",
                        entry_id=entry_id,
                    )
                self.service.items.retire(entry.item_id, reason, retired_by, principal=principal)
                return self.store.get_entry(entry_id)
            retired_by = acting_person(principal, retired_by)
            retired = self.store.retire_entry(entry_id, reason, retired_by)
            self.store.record_audit(
                audit_actor(principal, retired_by),
                "entry.retire",
                "entry",
                str(entry_id),
                before=entry.to_dict(),
                after=retired.to_dict(),
                list_id=entry.list_id,
            )
        return retired

    def update(
        self,
        entry_id: int,
        *,
        label: str | None = None,
        note: str | None = None,
        scope: ItemScope = ItemScope.ITEM,
        principal: Principal,
    ) -> Entry:
        """Relabel an entry's item (or with ``scope`` entry this hash only) or change its
        note; matches explain it with the new text at once."""
        with self.store.transaction():
            before = self.get(entry_id, principal)
            self.check_write(principal, before)
            if scope is ItemScope.ITEM and before.item_id is not None:
                self.service.items.update(
                    before.item_id, label=label, note=note, principal=principal
                )
                return self.store.get_entry(entry_id)
            updated = self.store.update_entry(entry_id, label=label, note=note)
            self.store.record_audit(
                actor(principal),
                "entry.update",
                "entry",
                str(entry_id),
                before=before.to_dict(),
                after=updated.to_dict(),
                list_id=before.list_id,
            )
        return updated

    def search(self, query: EntryQuery, principal: Principal) -> list[Entry]:
        """Entries matching ``query`` on the lists ``principal`` can see; a list it names but
        cannot see is not found, as a missing one is."""
        if query.list_name is not None:
            self.service.lists.get(query.list_name, principal)
        if principal.organisation is not None:
            visible = frozenset(hash_list.id for hash_list in self.service.lists.visible(principal))
            query = replace(query, list_ids=visible)
        return self.store.search_entries(query)
