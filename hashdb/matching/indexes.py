"""The plain stage's indexes: hashes in, explained matches out.

:class:`HashIndexes` keeps one in-memory index per algorithm, built from the store's live
entries and kept fresh by following the store's change sequence, so an entry added or retired
by any process is seen here within ``refresh_interval`` seconds, without a rebuild. An index
query at the widest threshold of any list gives candidates; each candidate is then checked
against its own list's threshold, read fresh from the store, and explained.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from hashdb.hashing import ALGORITHMS, Digest
from hashdb.index import HammingIndex, make_index
from hashdb.matching.follower import ChangeFollower
from hashdb.matching.match import Evidence, Match
from hashdb.matching.query import Query, Scope
from hashdb.store.base import AsyncEntryReads, Store
from hashdb.store.models import Change, ChangeKind, Entry, HashList, ListSettings
from hashdb.store.watch import ChangeWatcher

#: Entries kept to explain matches without a query (about 1 KiB each).
ENTRY_CACHE = 10_000


@dataclass(frozen=True)
class Candidates:
    """The index's answer for a batch of digests, before any entry is read: a lookup begun
    on the API's event loop keeps it while its entries are read (awaited, or in a worker
    thread), rather than query the index a second time."""

    digests: tuple[Digest, ...]
    #: ``(entry_id, distance)`` near each digest, in the order of ``digests``.
    hits: list[list[tuple[int, int]]]
    #: The lists a candidate's entry must be on to match, by id.
    lists: dict[int, HashList]

    def entry_ids(self) -> list[int]:
        return [entry_id for hits in self.hits for entry_id, _ in hits]


class HashIndexes(ChangeFollower):
    """One in-memory index per algorithm over the live entries, and the lists, following the
    store's change feed; explains what it finds as plain-stage matches."""

    def __init__(
        self, store: Store, refresh_interval: float = 0.2, watcher: ChangeWatcher | None = None
    ) -> None:
        super().__init__(store, refresh_interval, watcher)
        self._indexes: dict[str, HammingIndex] = {
            name: make_index(algorithm) for name, algorithm in ALGORITHMS.items()
        }
        self._lists: dict[int, HashList] | None = None
        self._settings: dict[int, ListSettings] | None = None
        # The entries matches are explained with, most recently used last: a repeated upload
        # is explained without a query. Changes to an entry (UPDATE, RETIRE) drop it.
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._entries_lock = threading.Lock()

    def size(self, algorithm: str | None = None) -> int:
        if algorithm is not None:
            return len(self._indexes[algorithm])
        return sum(len(index) for index in self._indexes.values())

    def _load(self) -> None:
        for name, index in self._indexes.items():
            for ids, values in self._store.live_hash_arrays(name):
                index.add(ids, values)
            index.flush()

    def _apply(self, changes: Sequence[Change]) -> None:
        # Runs of adds go to an index as one batch (after a bulk import, thousands of single
        # adds would each pay an index call); a retire flushes its index's run first, so the
        # order of changes to one entry is kept.
        pending: dict[str, tuple[list[int], list[bytes]]] = {}
        for change in changes:
            if change.kind is ChangeKind.LIST:
                self.forget_lists()
            elif change.kind is ChangeKind.UPDATE:
                self._forget_entry(change.entry_id)
            elif change.entry_id is not None and change.algorithm in self._indexes:
                if change.kind is ChangeKind.ADD and change.value is not None:
                    ids, values = pending.setdefault(change.algorithm, ([], []))
                    ids.append(change.entry_id)
                    values.append(change.value)
                else:
                    self._flush_adds(pending, change.algorithm)
                    self._indexes[change.algorithm].remove([change.entry_id])
                    self._forget_entry(change.entry_id)
        for algorithm in list(pending):
            self._flush_adds(pending, algorithm)

    def _flush_adds(
        self, pending: dict[str, tuple[list[int], list[bytes]]], algorithm: str
    ) -> None:
        run = pending.pop(algorithm, None)
        if run is not None:
            self._indexes[algorithm].add(*run)

    def lists(self) -> dict[int, HashList]:
        """Every list by id, cached until a list changes."""
        current = self._lists
        if current is None:
            current = {hash_list.id: hash_list for hash_list in self._store.lists()}
            self._lists = current
        return current

    def list_settings(self) -> dict[int, ListSettings]:
        """Every list's owner, sharing and review radius, cached until a list changes."""
        current = self._settings
        if current is None:
            current = self._store.all_list_settings()
            self._settings = current
        return current

    def forget_lists(self) -> None:
        """Drop the cached lists and settings: a list changed (here, or in the change feed)."""
        self._lists = None
        self._settings = None

    def entries(self, entry_ids: Sequence[int]) -> dict[int, Entry]:
        """Entries by id, from the cache where it has them, else from the store."""
        found, missing = self._cached(entry_ids)
        if missing:
            seen = self._seq
            loaded = self._store.get_entries(missing)
            found.update(loaded)
            self._remember(loaded, seen)
        return found

    async def entries_async(
        self, entry_ids: Sequence[int], store: AsyncEntryReads
    ) -> dict[int, Entry]:
        """:meth:`entries`, with the store read awaited on the calling event loop."""
        found, missing = self._cached(entry_ids)
        if missing:
            seen = self._seq
            loaded = await store.read_entries_async(missing)
            found.update(loaded)
            self._remember(loaded, seen)
        return found

    def _cached(self, entry_ids: Sequence[int]) -> tuple[dict[int, Entry], list[int]]:
        found: dict[int, Entry] = {}
        missing: list[int] = []
        with self._entries_lock:
            for entry_id in entry_ids:
                entry = self._entries.get(entry_id)
                if entry is None:
                    missing.append(entry_id)
                else:
                    self._entries.move_to_end(entry_id)
                    found[entry_id] = entry
        return found, missing

    def _remember(self, loaded: dict[int, Entry], seen: int) -> None:
        with self._entries_lock:
            # A change applied while reading may have made what was read stale.
            if self._seq == seen:
                self._entries.update(loaded)
                while len(self._entries) > ENTRY_CACHE:
                    self._entries.popitem(last=False)

    def _forget_entry(self, entry_id: int | None) -> None:
        with self._entries_lock:
            self._entries.pop(entry_id or 0, None)

    def run(self, query: Query, scope: Scope, found: list[Match]) -> list[Match]:
        """The plain stage: the query's own hashes looked up in the indexes."""
        return found + self.match(query.digests, scope.names)

    def match(self, digests: Sequence[Digest], lists: Collection[str] | None = None) -> list[Match]:
        """Every match of any of ``digests`` (the hashes of one piece of media), closest first."""
        matches = [match for found in self.match_many(digests, lists) for match in found]
        matches.sort(key=Match.sort_key)
        return matches

    def match_many(
        self, digests: Sequence[Digest], lists: Collection[str] | None = None
    ) -> list[list[Match]]:
        """The matches of each digest, in order: one batched index query per algorithm and
        one store read for the candidates of the whole batch."""
        return self.explain(self.candidates(digests, lists))

    def candidates(
        self, digests: Sequence[Digest], lists: Collection[str] | None = None
    ) -> Candidates:
        """What the indexes hold near each digest, at the widest threshold of the lists: the
        in-memory half of :meth:`match_many`, which reads nothing once the lists are cached."""
        self.refresh()
        candidate_lists = [
            hash_list
            for hash_list in self.lists().values()
            if lists is None or hash_list.name in lists
        ]
        by_algorithm: dict[str, list[int]] = {}
        for position, digest in enumerate(digests):
            by_algorithm.setdefault(digest.algorithm, []).append(position)
        found: list[list[tuple[int, int]]] = [[] for _ in digests]
        for algorithm, positions in by_algorithm.items():
            radius = max(
                (
                    hash_list.thresholds[algorithm]
                    for hash_list in candidate_lists
                    if algorithm in hash_list.thresholds
                ),
                default=None,
            )
            if radius is None or algorithm not in self._indexes:
                continue
            neighbours = self._indexes[algorithm].query_many(
                [digests[position].value for position in positions], radius
            )
            for position, neighbour in zip(positions, neighbours, strict=True):
                if len(neighbour):
                    found[position] = neighbour.pairs()
        return Candidates(
            tuple(digests), found, {hash_list.id: hash_list for hash_list in candidate_lists}
        )

    def explain(self, found: Candidates) -> list[list[Match]]:
        """The candidates that are matches, each explained from its entry (cached, or read
        from the store in one read for the batch): the half of :meth:`match_many` that may
        wait on the database. A retired entry, or one on another list, explains nothing."""
        wanted = found.entry_ids()
        return _explained(found, self.entries(wanted) if wanted else {})

    async def explain_async(self, found: Candidates, store: AsyncEntryReads) -> list[list[Match]]:
        """:meth:`explain`, with the store read awaited on the calling event loop."""
        wanted = found.entry_ids()
        return _explained(found, await self.entries_async(wanted, store) if wanted else {})

    def neighbours(self, digest: Digest, radius: int) -> list[tuple[int, int]]:
        """``(entry_id, distance)`` of live entries within ``radius`` of ``digest``, any list."""
        self.refresh()
        if digest.algorithm not in self._indexes:
            return []
        return list(self._indexes[digest.algorithm].query(digest.value, radius).pairs())


def _explained(found: Candidates, entries: dict[int, Entry]) -> list[list[Match]]:
    results: list[list[Match]] = []
    for digest, hits in zip(found.digests, found.hits, strict=True):
        matches = [
            match
            for entry_id, distance in hits
            if (match := _explain(digest, entries.get(entry_id), distance, found.lists)) is not None
        ]
        matches.sort(key=Match.sort_key)
        results.append(matches)
    return results


def _explain(
    digest: Digest, entry: Entry | None, distance: int, lists: dict[int, HashList]
) -> Match | None:
    if entry is None or not entry.live or entry.list_id not in lists:
        return None
    hash_list = lists[entry.list_id]
    threshold = hash_list.thresholds.get(digest.algorithm)
    if threshold is None or distance > threshold:
        return None
    return Match.of(entry, hash_list, Evidence(digest.algorithm, distance, threshold, digest.hex))
