"""The matching pipeline, called once per request:

    decode -> hash -> candidates from each stage -> policy -> near-misses

- **decode, hash**: :class:`~hashdb.hashing.media.MediaHasher` (an image keeps its pixels, a
  video its sampled frames);
- **stages**, in order, each given what the earlier ones found (:class:`MatchStage`):
  the plain index lookup (:class:`~hashdb.matching.indexes.HashIndexes`), the robust stages
  for edited images (:class:`~hashdb.matching.robust.matcher.RobustMatcher`, built on first
  need by :class:`~hashdb.matching.robust.stage.RobustStage`), and video
  (:class:`~hashdb.matching.video.VideoMatcher`);
- **policy**: the lists' matching modes (``exact``, ``hash``, ``robust``: which stages may
  match on a list; the robust stages search only the ``robust`` lists), the label filter,
  then the allow lists (:mod:`hashdb.matching.policy`);
- **near-misses**: unless the media was allowed, hits just outside a list's threshold but
  inside its review radius go to the review queue (:mod:`hashdb.matching.near_misses`), with
  a small thumbnail of the upload that expires (:mod:`hashdb.matching.thumbnails`).

Every stage builds its matches with :meth:`Match.of`, so every answer explains itself the
same way whichever stage found it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Protocol

from hashdb.auth import access
from hashdb.errors import ListNotFound
from hashdb.hashing import Digest
from hashdb.hashing.media import HashedMedia, MediaHasher
from hashdb.identity import Principal
from hashdb.matching.indexes import Candidates, HashIndexes
from hashdb.matching.match import Match
from hashdb.matching.near_misses import find_near_misses
from hashdb.matching.policy import LabelFilter, allowed_by_mode, apply_policy
from hashdb.matching.query import Query, Scope
from hashdb.matching.result import MatchResult
from hashdb.matching.robust.stage import RobustStage
from hashdb.matching.thumbnails import RETENTION_ACTOR, purge_expired, upload_thumbnail
from hashdb.matching.video import VideoMatcher
from hashdb.settings import Settings
from hashdb.store import Store
from hashdb.store.base import AsyncEntryReads
from hashdb.store.models import ListAction, ListSettings, VideoRule

if TYPE_CHECKING:
    from hashdb.matching.robust.matcher import RobustMatcher
    from hashdb.matching.robust.policy import RobustPolicy


class MatchStage(Protocol):
    """One way of finding matches. A new stage is one module implementing this."""

    def run(self, query: Query, scope: Scope, found: list[Match]) -> list[Match]:
        """The matches so far, plus this stage's (a stage may also drop earlier ones it has
        reason to distrust, as the robust stages do for low-detail uploads)."""
        ...

    def refresh(self, *, force: bool = False) -> None:
        """Catch up with the store's change feed."""
        ...


class MatchPipeline:
    """The stages over one store, and the one way a query is matched."""

    def __init__(self, store: Store, settings: Settings, hasher: MediaHasher) -> None:
        self.store = store
        self.settings = settings
        self.hasher = hasher
        interval = settings.refresh_interval
        # A server follows changes in the background; refresh_interval 0 reads the feed on
        # every request instead (always exact: what tests and one-shot commands use).
        self.watcher = store.watch(interval) if interval > 0 else None
        watcher = self.watcher
        self.indexes = HashIndexes(store, interval, watcher)
        self.robust_stage = RobustStage(settings, self._robust_matcher)
        self.video = VideoMatcher(
            store,
            self.indexes,
            default_rule=VideoRule(
                settings.video_min_query_share, settings.video_min_reference_share
            ),
            min_quality=settings.min_pdq_quality,
            refresh_interval=interval,
            watcher=watcher,
        )
        robust: list[MatchStage] = [self.robust_stage] if settings.robust_matching else []
        self.stages: list[MatchStage] = [self.indexes, *robust, self.video]

    @property
    def robust(self) -> RobustMatcher:
        """The robust matcher (built, and OpenCV imported, on first use)."""
        return self.robust_stage.matcher

    def _robust_matcher(self) -> RobustMatcher:
        from hashdb.matching.robust.matcher import RobustMatcher  # OpenCV: only when needed

        return RobustMatcher(
            self.store,
            self.indexes,
            _robust_policy(self.settings),
            self.settings.refresh_interval,
            self.watcher,
        )

    def refresh(self, *, force: bool = False) -> None:
        for stage in self.stages:
            stage.refresh(force=force)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()

    # --- scope -------------------------------------------------------------------------

    def scope(
        self,
        caller: Principal,
        lists: Collection[str] | None = None,
        labels: Sequence[str] | None = None,
    ) -> Scope:
        """The lists a query by ``caller`` runs against: the visible ones named by ``lists``
        (a typo or an invisible name raises :class:`ListNotFound`), plus every visible allow
        list, even when ``lists`` names others: a list filter must not bypass known false
        positives."""
        label_filter = LabelFilter.parse(labels)  # a malformed filter fails before any work
        self.indexes.refresh()
        known = self.indexes.lists()
        settings = self.indexes.list_settings()

        def visible(list_id: int) -> bool:
            return access.can_read(caller, settings.get(list_id, ListSettings(list_id)))

        if lists is not None:
            by_name = {hash_list.name: hash_list for hash_list in known.values()}
            for name in lists:
                found = by_name.get(name)
                if found is None:
                    found = self.store.get_list(name)  # raises ListNotFound for a typo
                if not visible(found.id):
                    raise ListNotFound.named(name)
        candidates = {
            list_id: hash_list
            for list_id, hash_list in known.items()
            if visible(list_id)
            and (lists is None or hash_list.name in lists or hash_list.action is ListAction.ALLOW)
        }
        names = (
            None
            if lists is None and len(candidates) == len(known)
            else frozenset(hash_list.name for hash_list in candidates.values())
        )
        return Scope(caller, candidates, names, settings, label_filter)

    # --- matching ----------------------------------------------------------------------

    def match_bytes(self, data: bytes, scope: Scope) -> MatchResult:
        """An uploaded image or video, from its bytes to the answer."""
        return self.match_media(self.hasher.for_matching(data), scope)

    def match_media(self, media: HashedMedia, scope: Scope) -> MatchResult:
        query = Query(media.hashes.digests, media.image, media.hashes.video)
        return self.run(query, scope, media)

    def run(self, query: Query, scope: Scope, media: HashedMedia | None = None) -> MatchResult:
        """Every stage, then the policy, then the near-misses; hash-only queries included."""
        found: list[Match] = []
        for stage in self.stages:
            # A match its list's mode refuses goes at once: a later stage must not take it for
            # an answer (the robust stages stop at a plain match).
            found = allowed_by_mode(stage.run(query, scope, found))
        found.sort(key=Match.sort_key)
        outcome = apply_policy(found, scope.labels)
        review_items = (
            [] if outcome.allowed else self._record_near_misses(query, scope, found, media)
        )
        return MatchResult(
            outcome.matches,
            media.hashes if media is not None else None,
            allowed_by=outcome.allowed_by,
            suppressed=outcome.suppressed,
            review_items=review_items,
        )

    def lookup(self, digests: Sequence[Digest], scope: Scope) -> list[MatchResult]:
        """Hash-only matching of many unrelated hashes: one result per digest, in order, from
        one batched index query, under the same policy (no near-misses: nothing was seen)."""
        return self.explain_lookup(self.indexes.candidates(digests, scope.names), scope)

    def explain_lookup(self, found: Candidates, scope: Scope) -> list[MatchResult]:
        """:meth:`lookup` once the index was queried: the entries read, then the policy."""
        return _lookup_results(self.indexes.explain(found), scope)

    async def explain_lookup_async(
        self, found: Candidates, scope: Scope, store: AsyncEntryReads
    ) -> list[MatchResult]:
        """:meth:`explain_lookup`, with the entries read awaited on the calling event loop."""
        return _lookup_results(await self.indexes.explain_async(found, store), scope)

    def _record_near_misses(
        self, query: Query, scope: Scope, matches: Sequence[Match], media: HashedMedia | None
    ) -> list[int]:
        items = find_near_misses(
            self.indexes,
            self.store,
            query.digests,
            scope,
            matched_lists={match.list_id for match in matches},
        )
        if not items:
            return []
        picture = upload_thumbnail(media, self.settings)  # decoded before the write lock
        with self.store.transaction():
            ids = self.store.record_near_misses(items)
            if picture is not None:
                self.store.keep_upload_thumbnails(ids, picture)
            purge_expired(self.store, self.settings, RETENTION_ACTOR)
        return ids


def _lookup_results(explained: list[list[Match]], scope: Scope) -> list[MatchResult]:
    """Each hash's matches under the policy (no near-misses: nothing was seen)."""
    results: list[MatchResult] = []
    for raw in explained:
        outcome = apply_policy(raw, scope.labels)
        results.append(
            MatchResult(
                outcome.matches, allowed_by=outcome.allowed_by, suppressed=outcome.suppressed
            )
        )
    return results


def _robust_policy(settings: Settings) -> RobustPolicy:
    from hashdb.matching.robust.policy import RobustPolicy

    return RobustPolicy(
        min_query_quality=settings.robust_min_query_quality,
        candidate_distance=settings.robust_candidate_distance,
        max_candidates=settings.robust_max_candidates,
        hash_only_distance=settings.robust_hash_only_distance,
        stop_at_plain_match=not settings.robust_exhaustive,
        min_keypoint_votes=settings.robust_keypoint_votes,
        keypoint_gate=settings.robust_keypoint_gate,
    )
