"""Retro-matching: new entries against the media-hash store, without decoding any file.

The index runs in reverse. Matching an upload puts the entries in the index and queries with
the upload's hashes; here the stored media hashes of one algorithm are indexed (segment by
segment, :func:`~hashdb.rescan.join.hamming_join`) and the new entries of each threshold
query them all at once. Every stored file that a new entry hits is then matched in full from its
stored hashes, so its report is the object ``hashdb match --json`` would print for it now.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from hashdb.errors import ListNotFound, UsageError
from hashdb.hashing import ALGORITHMS
from hashdb.matching.result import MatchResult
from hashdb.rescan.context import ScanContext
from hashdb.rescan.join import hamming_join
from hashdb.rescan.worker import stored_hashes
from hashdb.store.models import Entry, ScannedMedia


@dataclass(frozen=True)
class RematchHit:
    media: ScannedMedia
    result: MatchResult
    #: The new entries (added since the cut-off) among the file's matches.
    new_entry_ids: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.media.location,
            **self.result.to_dict(),
            "new_entry_ids": self.new_entry_ids,
        }


@dataclass(frozen=True)
class RematchReport:
    since: datetime
    new_entries: int
    stored_hashes: int
    hits: list[RematchHit]
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "new_entries": self.new_entries,
            "stored_hashes": self.stored_hashes,
            "matched_files": len(self.hits),
            "elapsed": round(self.elapsed, 3),
        }


def rematch(
    context: ScanContext, since: datetime, lists: Collection[str] | None = None
) -> RematchReport:
    started = time.monotonic()
    store = context.store
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    since = since.astimezone(UTC)
    known = {hash_list.id: hash_list for hash_list in store.lists()}
    for name in lists or ():
        if name not in {hash_list.name for hash_list in known.values()}:
            raise UsageError(ListNotFound.named(name).message, list=name)
    entries = [
        entry
        for entry in store.entries_added_since(since)
        if entry.list_id in known and (not lists or known[entry.list_id].name in lists)
    ]
    groups: dict[str, dict[int, list[Entry]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        threshold = known[entry.list_id].thresholds.get(entry.algorithm)
        if threshold is not None and entry.algorithm in ALGORITHMS:
            groups[entry.algorithm][threshold].append(entry)
    hit_ids: set[int] = set()
    stored = 0
    for algorithm, by_threshold in groups.items():
        ids: list[int] = []
        values: list[bytes] = []
        for batch in store.iter_scanned_hashes(algorithm):
            ids.extend(batch.ids)
            values.extend(batch.values)
        stored += len(ids)
        bits = ALGORITHMS[algorithm].bits
        for threshold, group in by_threshold.items():
            pairs = hamming_join(values, [entry.value for entry in group], bits, threshold)
            hit_ids.update(ids[position] for position in pairs.stored.tolist())
    new_ids = {entry.id for entry in entries}
    hits: list[RematchHit] = []
    for media in store.scanned_media_for_hashes(sorted(hit_ids)):
        hashes = stored_hashes(media)
        result = replace(context.match_digests(hashes.digests, lists), hashes=hashes)
        fresh = sorted({match.entry_id for match in result.matches if match.entry_id in new_ids})
        if fresh:
            hits.append(RematchHit(media, result, fresh))
    return RematchReport(
        since=since,
        new_entries=len(entries),
        stored_hashes=stored,
        hits=hits,
        elapsed=time.monotonic() - started,
    )
