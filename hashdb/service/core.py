""":class:`HashDB`: settings, one store, the media hasher and the matching pipeline, and one
sub-service per area of user actions (``service.lists``, ``service.adding``,
``service.matching``…), each in its own module of this package."""

from __future__ import annotations

import ctypes
import io
from functools import cached_property
from typing import TYPE_CHECKING

from PIL import Image

from hashdb.auth.keys import KeyService
from hashdb.hashing.media import MediaHasher
from hashdb.matching.pipeline import MatchPipeline
from hashdb.settings import Settings
from hashdb.store import Store, open_store

# Each sub-service is imported on first use: a one-file match needs two of them, not the
# exchange formats, the rescan engine or the reference features of adding (OpenCV).
if TYPE_CHECKING:
    from hashdb.service.adding import AddingService
    from hashdb.service.audit import AuditService
    from hashdb.service.entries import EntryService
    from hashdb.service.exchange import ExchangeService
    from hashdb.service.feedback import FeedbackService
    from hashdb.service.items import ItemService
    from hashdb.service.labels import LabelService
    from hashdb.service.lists import ListService
    from hashdb.service.matching import MatchingService
    from hashdb.service.organisations import OrganisationService
    from hashdb.service.rescans import RescanService
    from hashdb.service.review import ReviewService
    from hashdb.service.sharing import SharingService
    from hashdb.service.thumbnails import ThumbnailService


class HashDB:
    """The hashdb service. The API and the CLI call its sub-services; nothing else."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store
        self.media = MediaHasher(settings)
        self._hashers_warm = False

    @cached_property
    def store(self) -> Store:
        return self._store if self._store is not None else open_store(self.settings.db)

    @cached_property
    def pipeline(self) -> MatchPipeline:
        return MatchPipeline(self.store, self.settings, self.media)

    @cached_property
    def keys(self) -> KeyService:
        return KeyService(self.store, self.settings.auth_cache_seconds, self._latest_change)

    def _latest_change(self) -> int:
        """The newest change sequence this process knows of: followed in the background, or
        (``refresh_interval`` 0) read from the store."""
        watcher = self.pipeline.watcher
        return watcher.latest if watcher is not None else self.store.current_seq()

    # Sub-services: one area of user actions each, reaching the store and the checks the
    # areas share through this service.

    @cached_property
    def lists(self) -> ListService:
        from hashdb.service.lists import ListService

        return ListService(self)

    @cached_property
    def adding(self) -> AddingService:
        from hashdb.service.adding import AddingService

        return AddingService(self)

    @cached_property
    def matching(self) -> MatchingService:
        from hashdb.service.matching import MatchingService

        return MatchingService(self)

    @cached_property
    def entries(self) -> EntryService:
        from hashdb.service.entries import EntryService

        return EntryService(self)

    @cached_property
    def items(self) -> ItemService:
        from hashdb.service.items import ItemService

        return ItemService(self)

    @cached_property
    def audit(self) -> AuditService:
        from hashdb.service.audit import AuditService

        return AuditService(self)

    @cached_property
    def rescans(self) -> RescanService:
        from hashdb.service.rescans import RescanService

        return RescanService(self)

    @cached_property
    def exchange(self) -> ExchangeService:
        from hashdb.service.exchange import ExchangeService

        return ExchangeService(self)

    @cached_property
    def feedback(self) -> FeedbackService:
        from hashdb.service.feedback import FeedbackService

        return FeedbackService(self)

    @cached_property
    def labels(self) -> LabelService:
        from hashdb.service.labels import LabelService

        return LabelService(self)

    @cached_property
    def organisations(self) -> OrganisationService:
        from hashdb.service.organisations import OrganisationService

        return OrganisationService(self)

    @cached_property
    def review(self) -> ReviewService:
        from hashdb.service.review import ReviewService

        return ReviewService(self)

    @cached_property
    def sharing(self) -> SharingService:
        from hashdb.service.sharing import SharingService

        return SharingService(self)

    @cached_property
    def thumbnails(self) -> ThumbnailService:
        from hashdb.service.thumbnails import ThumbnailService

        return ThumbnailService(self)

    def lists_changed(self) -> None:
        """A list or its settings changed in this process: forget the cached ones at once
        (other processes see the change through the change feed)."""
        if "pipeline" in self.__dict__:
            self.pipeline.indexes.forget_lists()

    def close(self) -> None:
        if "pipeline" in self.__dict__:
            self.pipeline.close()
        if self._store is not None or "store" in self.__dict__:
            self.store.close()

    def warm_up(self) -> None:
        """Load the indexes and the lists, and hash one generated image, so the first real
        request pays for none of them (and a lookup on PostgreSQL can be answered on the event
        loop from the start: it reads nothing). A worker forked from a
        process that warmed up (``hashdb serve --workers N``) only catches up with the
        changes: it has the hashers' libraries already, and hashing again would only write
        to pages it shares with its parent."""
        self.pipeline.refresh(force=True)
        self.pipeline.indexes.lists()
        self.pipeline.indexes.list_settings()
        if not self._hashers_warm:
            gradient = Image.linear_gradient("L").resize((64, 64)).convert("RGB")
            buffer = io.BytesIO()
            gradient.save(buffer, "PNG")
            self.media.hash_bytes(buffer.getvalue())
            self._hashers_warm = True
        release_freed_memory()

    def ready(self) -> None:
        """Raise :class:`~hashdb.errors.StoreUnavailable` unless the database answers."""
        self.store.ping()


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system. glibc keeps the pages that loading
    the indexes used for rows and temporary arrays once they are freed (about 9 MiB of
    resident memory at 100,000 PDQ entries); elsewhere there is nothing to do."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
