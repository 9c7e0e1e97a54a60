"""Controlled labels: the vocabulary of ``facet:value`` terms, and the labels on an entry."""

from __future__ import annotations

from collections.abc import Sequence

from hashdb.errors import Forbidden
from hashdb.identity import Principal
from hashdb.service.shared import ServicePart, actor
from hashdb.store import Entry
from hashdb.store.models import ItemScope, VocabularyTerm


class LabelService(ServicePart):
    """The vocabulary (read by every caller, changed by operators) and labelling entries (by a
    list's writers)."""

    def vocabulary(self, principal: Principal) -> list[VocabularyTerm]:
        del principal  # every caller may read it; taken so that no route forgets who asks
        return self.store.vocabulary()

    def add_terms(
        self,
        facet: str,
        values: Sequence[str],
        description: str = "",
        *,
        principal: Principal,
    ) -> list[VocabularyTerm]:
        _check_operator(principal)
        with self.store.transaction():
            before = {term.label for term in self.store.vocabulary()}
            terms = self.store.add_vocabulary(facet, values, description)
            added = sorted(term.label for term in terms if term.label not in before)
            if added:
                self.store.record_audit(
                    actor(principal), "labels.add", "vocabulary", None, None, {"labels": added}
                )
        return terms

    def remove_term(self, label: str, principal: Principal) -> VocabularyTerm:
        _check_operator(principal)
        with self.store.transaction():
            term = self.store.remove_vocabulary(label)
            self.store.record_audit(
                actor(principal), "labels.remove", "vocabulary", None, term.to_dict(), None
            )
        return term

    def label_entry(
        self,
        entry_id: int,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        *,
        scope: ItemScope = ItemScope.ITEM,
        principal: Principal,
    ) -> Entry:
        """Add and remove controlled labels on an entry's item (every hash of the same file),
        or with ``scope`` entry on this hash only."""
        with self.store.transaction():
            entry = self.service.entries.get(entry_id, principal)
            self.service.entries.check_write(principal, entry)
            if scope is ItemScope.ITEM and entry.item_id is not None:
                self.service.items.label(entry.item_id, add, remove, principal=principal)
                return self.store.get_entry(entry_id)
            labels = self.store.set_entry_labels(entry_id, add, remove)
            if labels != entry.labels:
                self.store.record_audit(
                    actor(principal),
                    "entry.label",
                    "entry",
                    str(entry_id),
                    {"labels": list(entry.labels)},
                    {"labels": list(labels)},
                    list_id=entry.list_id,
                )
            return self.store.get_entry(entry_id)


def _check_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden(
            "changing the label vocabulary is for operators (an admin of no organisation): "
            "every organisation's entries use it"
        )
