"""What a rescan needs of hashdb, and nothing more: the store (lists, scan jobs, the
media-hash store), reading media, and the matching pipeline, acting as the local operator.

A rescan is a client of the pipeline, not of the whole service: the coordinator borrows the
parts of the service that started it, and each worker process opens its own.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from hashdb.hashing import Digest
from hashdb.hashing.media import MediaHasher
from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.pipeline import MatchPipeline
from hashdb.matching.query import Query
from hashdb.matching.result import MatchResult
from hashdb.settings import Settings
from hashdb.store import Store, open_store


class ScanContext:
    def __init__(
        self, settings: Settings, store: Store, hasher: MediaHasher, pipeline: MatchPipeline
    ) -> None:
        self.settings = settings
        self.store = store
        self.hasher = hasher
        self.pipeline = pipeline

    @classmethod
    def open(cls, settings: Settings) -> ScanContext:
        """A context of its own, for a worker process."""
        store = open_store(settings.db)
        hasher = MediaHasher(settings)
        return cls(settings, store, hasher, MatchPipeline(store, settings, hasher))

    def read_file(self, path: Path) -> bytes:
        return self.hasher.read_file(path)

    def match_bytes(self, data: bytes, lists: Collection[str] | None) -> MatchResult:
        pipeline = self.pipeline
        return pipeline.match_bytes(data, pipeline.scope(LOCAL_OPERATOR, lists))

    def match_digests(
        self, digests: Sequence[Digest], lists: Collection[str] | None
    ) -> MatchResult:
        pipeline = self.pipeline
        return pipeline.run(Query(digests), pipeline.scope(LOCAL_OPERATOR, lists))

    def close(self) -> None:
        self.pipeline.close()
        self.store.close()
