"""The review queue: near-misses of a list's review radius, which an analyst of the list
confirms (their hashes become entries), allows (onto an allow list) or dismisses."""

from __future__ import annotations

from dataclasses import replace

from hashdb.auth import access
from hashdb.errors import Forbidden, InvalidValue, ListNotFound, ReviewItemNotFound
from hashdb.hashing import Digest, get_algorithm
from hashdb.identity import Principal, Role
from hashdb.service.results import EntryMetadata, ReviewOutcome
from hashdb.service.shared import ServicePart, actor
from hashdb.store import ListAction, NewList
from hashdb.store.models import ListSettings, QueryHash, ReviewItem, ReviewStatus


class ReviewService(ServicePart):
    """Every action on the review queue; each resolution is audited in the
    transaction that makes it."""

    def queue(
        self,
        principal: Principal,
        *,
        status: ReviewStatus | None = ReviewStatus.PENDING,
        list_name: str | None = None,
        limit: int = 100,
    ) -> list[ReviewItem]:
        """Near-misses on the lists the principal may write to (``status=None``: all)."""
        if not principal.has(Role.ANALYST):
            raise Forbidden("the review queue needs the analyst role")
        sharing = self.store.all_list_settings()
        writable = {
            hash_list.id
            for hash_list in self.store.lists()
            if access.can_write(principal, sharing.get(hash_list.id, ListSettings(hash_list.id)))
            and (list_name is None or hash_list.name == list_name)
        }
        if list_name is not None and not writable:
            self.service.lists.get(list_name, principal)  # not found, or found but not yours
            raise Forbidden(f"you cannot review list {list_name!r}", list=list_name)
        return self.store.review_items(status=status, list_ids=writable, limit=limit)

    def _pending(self, item_id: int, principal: Principal) -> ReviewItem:
        item = self.store.get_review_item(item_id)
        settings = self.store.list_settings(item.list_id)
        if not access.can_read(principal, settings):
            raise ReviewItemNotFound(f"no review item with id {item_id}", item_id=item_id)
        hash_list = self.store.get_list(item.list_name)
        access.check_write(principal, hash_list, settings)
        return item

    def confirm(
        self,
        item_id: int,
        principal: Principal,
        *,
        list_name: str | None = None,
        metadata: EntryMetadata | None = None,
    ) -> ReviewOutcome:
        """Promote a near-miss: its media's hashes become entries (on its list by default)."""
        return self._promote(
            item_id, principal, ReviewStatus.CONFIRMED, list_name, metadata, allow=False
        )

    def allow(
        self,
        item_id: int,
        allow_list: str,
        principal: Principal,
        *,
        metadata: EntryMetadata | None = None,
    ) -> ReviewOutcome:
        """Allow-list a near-miss: its media's hashes go onto an allow list (created if new)."""
        return self._promote(
            item_id, principal, ReviewStatus.ALLOWED, allow_list, metadata, allow=True
        )

    def dismiss(self, item_id: int, principal: Principal, note: str | None = None) -> ReviewOutcome:
        with self.store.transaction():
            item = self._pending(item_id, principal)
            resolved = self.store.resolve_review_item(
                item.id, ReviewStatus.DISMISSED, actor(principal), note
            )
            self._audit(principal, item, resolved)
        return ReviewOutcome(resolved)

    def _promote(
        self,
        item_id: int,
        principal: Principal,
        status: ReviewStatus,
        list_name: str | None,
        metadata: EntryMetadata | None,
        *,
        allow: bool,
    ) -> ReviewOutcome:
        metadata = metadata or EntryMetadata()
        if metadata.source is None:
            metadata = replace(metadata, source=f"review:{item_id}")
        with self.store.transaction():
            item = self._pending(item_id, principal)
            target = list_name or item.list_name
            if allow:
                self._ensure_allow_list(target, principal)
            digests = [_query_digest(query) for query in item.query_hashes]
            sha256 = next((q.hash for q in item.query_hashes if q.algorithm == "sha256"), None)
            report = self.service.adding.digests(
                target,
                digests,
                metadata,
                source_sha256=sha256,
                create_list=False,
                media=True,
                principal=principal,
            )
            if not report.added:
                reasons = "; ".join(refusal.reason for refusal in report.refused)
                raise InvalidValue(f"none of the item's hashes could be added: {reasons}")
            self.service.thumbnails.keep_promoted(item.id, target, report)
            resolved = self.store.resolve_review_item(
                item.id,
                status,
                actor(principal),
                metadata.note,
                [added.entry_id for added in report.added],
            )
            self._audit(principal, item, resolved)
        return ReviewOutcome(resolved, report)

    def _ensure_allow_list(self, name: str, principal: Principal) -> None:
        try:
            hash_list = self.service.lists.get(name, principal)
        except ListNotFound:
            self.service.lists.create(NewList(name=name, action=ListAction.ALLOW), principal)
            return
        if hash_list.action is not ListAction.ALLOW:
            raise InvalidValue(
                f"list {name!r} has action {hash_list.action.value}, not allow", list=name
            )

    def _audit(self, principal: Principal, before: ReviewItem, after: ReviewItem) -> None:
        self.store.record_audit(
            actor(principal),
            f"review.{after.status.value}",
            "review",
            str(after.id),
            {"status": before.status.value, "entry_id": before.entry_id},
            {
                "status": after.status.value,
                "note": after.resolution_note,
                "entry_ids": list(after.result_entry_ids),
            },
            list_id=after.list_id,
        )


def _query_digest(query: QueryHash) -> Digest:
    digest = get_algorithm(query.algorithm).parse(query.hash)
    return Digest(digest.algorithm, digest.value, query.quality)
