"""The robust stages as the pipeline sees them: built on first need.

The robust matcher brings OpenCV, its reference rows and the keypoint index with it; most
queries need none of them. A one-file ``hashdb match`` of a picture that is in the list as
it is, a hash-only query, or a deployment whose lists match only on hashes answers from the
plain stage, so :class:`RobustStage` settles those cases itself from the settings and the
plain matches (nothing here imports OpenCV), and builds
:class:`~hashdb.matching.robust.matcher.RobustMatcher` the first time a query really needs
it (or when a server warms up).

Its shortcuts give exactly the matcher's answer:

* an image with no PDQ hash (not decodable as a picture) keeps its exact matches only when
  its plain perceptual matches fail the quality gate, as in the matcher;
* a plain perceptual match of an entry added from the very bytes uploaded (its
  ``source_sha256`` is the upload's SHA-256) needs no content check: the upload *is* the
  reference's picture;
* with no list in mode ``robust`` in scope, or with a plain perceptual match that stands
  (and ``robust_exhaustive`` off), there is no edited copy to look for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from hashdb.hashing import ALGORITHMS
from hashdb.matching.match import Match
from hashdb.matching.query import Query, Scope
from hashdb.settings import Settings
from hashdb.store.models import MatchingMode

if TYPE_CHECKING:
    from hashdb.matching.robust.matcher import RobustMatcher


class RobustStage:
    """A :class:`~hashdb.matching.pipeline.MatchStage` in front of the robust matcher."""

    def __init__(self, settings: Settings, build: Callable[[], RobustMatcher]) -> None:
        self._min_quality = settings.robust_min_query_quality
        self._stop_at_plain = not settings.robust_exhaustive
        self._build = build
        self._matcher: RobustMatcher | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._matcher is not None

    @property
    def matcher(self) -> RobustMatcher:
        """The robust matcher, built (and OpenCV imported) on first use."""
        matcher = self._matcher
        if matcher is None:
            with self._lock:
                if self._matcher is None:
                    self._matcher = self._build()
                matcher = self._matcher
        return matcher

    def refresh(self, *, force: bool = False) -> None:
        # A forced refresh is a warm-up: the matcher is built then, not on a request.
        if force or self._matcher is not None:
            self.matcher.refresh(force=force)

    def entry_changed(self, entry_id: int) -> None:
        """An entry gained reference data: a matcher not built yet reads it when it loads."""
        if self._matcher is not None:
            self._matcher.entry_changed(entry_id)

    def run(self, query: Query, scope: Scope, found: list[Match]) -> list[Match]:
        if query.image is None:
            return found
        if self._matcher is not None or self._needs_matcher(query, scope, found):
            return self.matcher.run(query, scope, found)
        return self._plain_only(query, found)

    def _needs_matcher(self, query: Query, scope: Scope, found: list[Match]) -> bool:
        pdq = next((d for d in query.digests if d.algorithm == "pdq"), None)
        if pdq is None:
            return False
        upload = next((d.hex for d in query.digests if d.algorithm == "sha256"), None)
        kept = self._plain_only(query, found)
        if any(
            not ALGORITHMS[m.algorithm].exact and (upload is None or m.source_sha256 != upload)
            for m in kept
        ):
            return True  # a plain match whose content the matcher must check
        robust = any(h.matching_mode is MatchingMode.ROBUST for h in scope.lists.values())
        if not robust:
            return False
        plain_stands = any(not ALGORITHMS[m.algorithm].exact for m in kept)
        return not (self._stop_at_plain and plain_stands)

    def _plain_only(self, query: Query, found: list[Match]) -> list[Match]:
        """The plain matches the matcher keeps without looking at pixels: all of them for
        an upload with detail, only the exact ones otherwise."""
        pdq = next((d for d in query.digests if d.algorithm == "pdq"), None)
        detailed = pdq is not None and (pdq.quality or 0) >= self._min_quality
        return [m for m in found if detailed or ALGORITHMS[m.algorithm].exact]
