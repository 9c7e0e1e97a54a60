"""Thumbnails: who may see the few pixels hashdb keeps, keeping reference thumbnails on the
lists that opted in, and purging upload thumbnails after the retention period.

An upload thumbnail is seen by whoever may review its item (an analyst who may write to the
item's list, as in the review queue); a reference thumbnail by whoever may read its list.
Anyone else is told there is no such thumbnail, as for any other invisible record.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from hashdb.auth import access
from hashdb.errors import Forbidden, MediaError, ThumbnailNotFound
from hashdb.hashing.media import HashedMedia
from hashdb.identity import Principal, Role
from hashdb.matching.thumbnails import purge_expired
from hashdb.service.results import AddReport
from hashdb.service.shared import ServicePart, actor
from hashdb.store.models import ListSettings, ReviewItem, Thumbnail, ThumbnailKind

log = logging.getLogger(__name__)


class ThumbnailService(ServicePart):
    def get(self, thumbnail_id: int, principal: Principal) -> tuple[Thumbnail, bytes]:
        """A thumbnail and its bytes, if ``principal`` may see it (else not found)."""
        thumbnail = self.store.get_thumbnail(thumbnail_id)
        if not self._visible(thumbnail, principal, self.store.list_settings(thumbnail.list_id)):
            raise ThumbnailNotFound(
                f"no thumbnail with id {thumbnail_id}", thumbnail_id=thumbnail_id
            )
        return thumbnail, self.store.thumbnail_data(thumbnail_id)

    def for_review(self, items: Sequence[ReviewItem], principal: Principal) -> dict[int, Thumbnail]:
        """The upload thumbnails of these review items that ``principal`` may see."""
        found = self.store.review_thumbnails([item.id for item in items])
        return self._visible_only(found, principal)

    def for_items(self, item_ids: Sequence[int], principal: Principal) -> dict[int, Thumbnail]:
        """The reference thumbnails of these media items that ``principal`` may see."""
        return self._visible_only(self.store.item_thumbnails(item_ids), principal)

    def _visible_only(
        self, found: dict[int, Thumbnail], principal: Principal
    ) -> dict[int, Thumbnail]:
        if not found:
            return {}
        settings = self.store.all_list_settings()
        return {
            key: thumbnail
            for key, thumbnail in found.items()
            if self._visible(
                thumbnail,
                principal,
                settings.get(thumbnail.list_id, ListSettings(thumbnail.list_id)),
            )
        }

    @staticmethod
    def _visible(thumbnail: Thumbnail, principal: Principal, settings: ListSettings) -> bool:
        if thumbnail.kind is ThumbnailKind.UPLOAD:
            return principal.has(Role.ANALYST) and access.can_write(principal, settings)
        return settings.keep_thumbnails and access.can_read(principal, settings)

    def keep_reference(self, list_name: str, report: AddReport, media: HashedMedia) -> bool:
        """After media was added: keep its thumbnail with its item if the list keeps
        thumbnails (never otherwise); whether one was kept."""
        item_id = report.item_id
        if item_id is None:
            return False
        hash_list = self.store.get_list(list_name)
        if not self.store.list_settings(hash_list.id).keep_thumbnails:
            return False
        try:
            picture = media.thumbnail()
        except (MediaError, OSError, ValueError) as exc:
            log.warning("no thumbnail for item %s: %s", item_id, exc)
            return False
        with self.store.transaction():
            return self.store.keep_item_thumbnail(item_id, picture)

    def keep_promoted(self, review_item_id: int, list_name: str, report: AddReport) -> bool:
        """A near-miss confirmed or allowed onto a list that keeps thumbnails: its upload's
        thumbnail stays, as the thumbnail of the item its hashes became (else resolving the
        near-miss deletes it). Call before resolving it."""
        item_id = report.item_id
        if item_id is None:
            return False
        if not self.store.list_settings(self.store.get_list(list_name).id).keep_thumbnails:
            return False
        return self.store.adopt_upload_thumbnail(review_item_id, item_id)

    def purge(self, principal: Principal, now: datetime | None = None) -> int:
        """Delete the upload thumbnails past the retention period (or whose review item was
        resolved), audited; how many were deleted. Admins only."""
        if not principal.has(Role.ADMIN):
            raise Forbidden(f"purging thumbnails needs the admin role; you have {principal.role}")
        return purge_expired(self.store, self.service.settings, actor(principal), now)
