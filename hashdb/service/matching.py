"""Matching: uploads, files and hashes against the lists the caller can see, through the one
pipeline (:mod:`hashdb.matching.pipeline`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from hashdb.hashing import Digest
from hashdb.identity import Principal
from hashdb.matching.query import Query
from hashdb.matching.result import MatchResult
from hashdb.service.shared import ServicePart
from hashdb.store import is_postgres
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

    def lookup_in_place(
        self,
        digests: Sequence[Digest],
        lists: Collection[str] | None = None,
        *,
        principal: Principal,
        labels: Sequence[str] | None = None,
    ) -> list[MatchResult] | None:
        """:meth:`lookup`, where it was asked (the API's event loop), if it can be answered
        without waiting: the index holds every change, and the one read it may still need
        is of a local SQLite file, whose readers never wait for a writer. On PostgreSQL,
        whose reads wait on the network and on the connection pool (which must never stall
        every other request of the worker), only a lookup that reads nothing is answered:
        one that matches nothing, or whose matches are explained by cached entries. None:
        ask :meth:`lookup` from a worker thread."""
        if not self.index_current():
            return None
        if not is_postgres(self.service.settings.db):
            return self.lookup(digests, lists, principal=principal, labels=labels)
        try:
            with without_store_access():
                return self.lookup(digests, lists, principal=principal, labels=labels)
        except ReadRefused:
            return None
