"""Matching: uploads, files and hashes against the lists the caller can see, through the one
pipeline (:mod:`hashdb.matching.pipeline`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from hashdb.hashing import Digest
from hashdb.identity import Principal
from hashdb.matching.query import Query
from hashdb.matching.result import MatchResult
from hashdb.service.shared import ServicePart
from hashdb.store import is_postgres
from hashdb.store.base import AsyncEntryReads
from hashdb.store.guard import ReadRefused, without_store_access


class MatchingService(ServicePart):
    """Each call builds the caller's scope and runs the pipeline once."""

    def media(
        self,
        data: bytes,
        lists: Collection[str] | None = None,
        *,
        principal: Principal,
        labels: Sequence[str] | None = None,
    ) -> MatchResult:
        """Match an image or a video: its hashes, edited copies of known images, and the
        frames of known videos, under one policy."""
        pipeline = self.service.pipeline
        scope = pipeline.scope(principal, lists, labels)
        return pipeline.match_bytes(data, scope)

    def file(
        self,
        path: Path,
        lists: Collection[str] | None = None,
        *,
        principal: Principal,
        labels: Sequence[str] | None = None,
    ) -> MatchResult:
        data = self.service.media.read_file(path)
        return self.media(data, lists, principal=principal, labels=labels)

    def digests(
        self,
        digests: Sequence[Digest],
        lists: Collection[str] | None = None,
        *,
        principal: Principal,
        labels: Sequence[str] | None = None,
    ) -> MatchResult:
        """Match the hashes of one piece of media (no pixels: the plain stage alone)."""
        pipeline = self.service.pipeline
        return pipeline.run(Query(digests), pipeline.scope(principal, lists, labels))

    def lookup(
        self,
        digests: Sequence[Digest],
        lists: Collection[str] | None = None,
        *,
        principal: Principal,
        labels: Sequence[str] | None = None,
    ) -> list[MatchResult]:
        """Hash-only matching of many unrelated hashes: one result per digest, in order."""
        pipeline = self.service.pipeline
        return pipeline.lookup(digests, pipeline.scope(principal, lists, labels))

    def index_current(self) -> bool:
        """Whether the hash indexes hold every change the change watcher knows of, so that a
        lookup now has no change to read or apply: it costs the index query, and at most one
        read of the entries that explain its matches when they are not cached. False without
        a watcher (``refresh_interval`` 0: every lookup reads the change feed)."""
        pipeline = self.service.pipeline
        watcher, indexes = pipeline.watcher, pipeline.indexes
        return watcher is not None and indexes.loaded and indexes.seq >= watcher.latest

    def begin_lookup(
        self,
        digests: Sequence[Digest],
        lists: Collection[str] | None = None,
        *,
        principal: Principal,
        labels: Sequence[str] | None = None,
        in_place: bool = True,
    ) -> LookupPlan:
        """:meth:`lookup`, begun where it was asked (the API's event loop) as far as it can
        go there without waiting.

        When the index holds every change, a lookup over a local SQLite file runs there
        whole (its readers never wait for a writer). On PostgreSQL, whose reads wait on the
        network and on the connection pool (which must never stall every other request of
        the worker), the index is queried here with every store access refused: a lookup
        that matches nothing, or whose matches are explained by cached entries, is answered;
        one that must read its entries keeps the index's answer, and reads the entries and
        no more: awaited on the event loop (``finish_async``; the store reads over
        connections of its own), or in a worker thread. ``in_place`` False (a large batch)
        leaves the whole lookup to a thread."""

        def whole() -> list[MatchResult]:
            return self.lookup(digests, lists, principal=principal, labels=labels)

        if not in_place or not self.index_current():
            return LookupPlan(False, whole)
        if not is_postgres(self.service.settings.db):
            return LookupPlan(True, whole)
        pipeline = self.service.pipeline
        try:
            with without_store_access():
                scope = pipeline.scope(principal, lists, labels)
                found = pipeline.indexes.candidates(digests, scope.names)
        except ReadRefused:  # the lists changed, or a name to look up: all of it in a thread
            return LookupPlan(False, whole)

        def explained() -> list[MatchResult]:
            return pipeline.explain_lookup(found, scope)

        try:
            with without_store_access():
                answer = explained()
        except ReadRefused:
            store = self.store
            if not isinstance(store, AsyncEntryReads):
                return LookupPlan(False, explained)

            async def awaited() -> list[MatchResult]:
                return await pipeline.explain_lookup_async(found, scope, store)

            return LookupPlan(False, explained, awaited)
        return LookupPlan(True, lambda: answer)


@dataclass(frozen=True)
class LookupPlan:
    """How a lookup begun by :meth:`MatchingService.begin_lookup` ends."""

    #: Whether :attr:`finish` may run where the lookup began: it waits on no database.
    in_place: bool
    #: The rest of the lookup (in a worker thread unless ``in_place``): its results.
    finish: Callable[[], list[MatchResult]]
    #: The same rest, to await on the event loop instead of a thread, where the store can
    #: read without one (PostgreSQL: the entries that explain the matches).
    finish_async: Callable[[], Awaitable[list[MatchResult]]] | None = None
