"""Near-misses: hashes just outside a list's threshold but within its review radius.

The matcher answers "which entries are within the threshold"; this asks the same index a
wider question for the lists that have a review radius, and turns the answers that fall in
``(threshold, review_radius]`` into review-queue items carrying every hash of the query.
Lists the media already matched are skipped: a match needs no second look. So are lists in
matching mode ``exact``: a perceptual hash never matches there, close or not.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from hashdb.hashing import Digest
from hashdb.matching.indexes import HashIndexes
from hashdb.matching.query import Scope
from hashdb.store.base import EntryStore
from hashdb.store.models import ListAction, MatchingMode, NewReviewItem, QueryHash


def find_near_misses(
    indexes: HashIndexes,
    store: EntryStore,
    digests: Sequence[Digest],
    scope: Scope,
    *,
    matched_lists: Collection[int],
) -> list[NewReviewItem]:
    lists, settings = scope.lists, scope.settings
    reviewed = {
        list_id: settings[list_id].review_radius
        for list_id, hash_list in lists.items()
        if list_id in settings
        and settings[list_id].review_radius
        and hash_list.action is not ListAction.ALLOW
        and hash_list.matching_mode is not MatchingMode.EXACT
        and list_id not in matched_lists
    }
    if not reviewed:
        return []
    query_hashes = tuple(QueryHash(d.algorithm, d.hex, d.quality) for d in digests)
    found: list[tuple[Digest, int, int]] = []
    for digest in digests:
        radius = max(
            (radii[digest.algorithm] for radii in reviewed.values() if digest.algorithm in radii),
            default=None,
        )
        if radius is not None:
            found.extend(
                (digest, entry_id, distance)
                for entry_id, distance in indexes.neighbours(digest, radius)
            )
    if not found:
        return []
    entries = store.get_entries([entry_id for _, entry_id, _ in found])
    items: list[NewReviewItem] = []
    for digest, entry_id, distance in found:
        entry = entries.get(entry_id)
        if entry is None or not entry.live or entry.list_id not in reviewed:
            continue
        radius = reviewed[entry.list_id].get(digest.algorithm)
        threshold = lists[entry.list_id].thresholds.get(digest.algorithm)
        if radius is None or threshold is None or not threshold < distance <= radius:
            continue
        items.append(
            NewReviewItem(
                list_id=entry.list_id,
                entry_id=entry.id,
                algorithm=digest.algorithm,
                query_hash=digest.value,
                query_hashes=query_hashes,
                distance=distance,
                threshold=threshold,
                review_radius=radius,
                platform=scope.caller.name,
                organisation=scope.caller.organisation,
            )
        )
    return items
