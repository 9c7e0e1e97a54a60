"""Robust matching of decoded media: the default path behind ``match_bytes``.

Stages, each recorded in the match's ``stage`` and ``variant``:

1. ``hash``: the plain index match of the upload's own hashes (``Matcher``), kept only if the
   upload has enough detail (PDQ quality gate): a flat or near-blank upload never matches on
   a hash alone. Exact digests (MD5/SHA-256) always count.
2. ``hash`` with a query variant: the upload mirrored/rotated or with bars trimmed, matched on
   hash alone only against entries that have no reference features (raw partner hashes),
   and only within the stricter ``hash_only_distance``.
3. ``geometric``: every query variant is looked up, at the loose ``candidate_distance``,
   among the reference variant rows of entries added as media; the nearest few candidates
   are confirmed or rejected by :func:`hashdb.matching.robust.geometric.verify` (on the variant's
   picture, and if that fails on the whole upload and its trimmed picture).
4. ``geometric`` from keypoint votes (variant ``…>keypoints``): if nothing matched yet, the
   upload's ORB descriptors vote for references (:mod:`hashdb.matching.robust.keyindex`), and the
   best-voted few go through the same check. This finds edits that move PDQ too far.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import replace

from hashdb.hashing import ALGORITHMS, Digest
from hashdb.index import BruteForceIndex
from hashdb.matching.follower import ChangeFollower
from hashdb.matching.indexes import HashIndexes
from hashdb.matching.match import Match, Stage
from hashdb.matching.query import Query, Scope
from hashdb.matching.robust import confirm, geometric, keyindex, variants
from hashdb.matching.robust.candidates import gather as gather_candidates
from hashdb.matching.robust.placement import Probe, Regions, placement, probe_of
from hashdb.matching.robust.policy import Candidate, RobustPolicy
from hashdb.media.image import PreparedImage
from hashdb.store.base import Store
from hashdb.store.models import (
    Change,
    ChangeKind,
    MatchingMode,
    ReferenceFeatures,
    ReferenceHash,
)
from hashdb.store.watch import ChangeWatcher

_FEATURE_CACHE = 512
#: Variant hashes below this PDQ quality (near-blank crops) are not even candidates.
_CANDIDATE_QUALITY = 10


class RobustMatcher(ChangeFollower):
    """Reference variant rows (an in-memory PDQ index fed from the store) and the stages."""

    def __init__(
        self,
        store: Store,
        matcher: HashIndexes,
        policy: RobustPolicy | None = None,
        refresh_interval: float = 0.2,
        watcher: ChangeWatcher | None = None,
    ) -> None:
        super().__init__(store, refresh_interval, watcher)
        self._matcher = matcher
        self.policy = policy or RobustPolicy()
        self._index = BruteForceIndex(ALGORITHMS["pdq"].bits)
        self._rows: dict[int, tuple[int, str]] = {}
        self._rows_of: dict[int, list[int]] = {}
        self._features: OrderedDict[int, ReferenceFeatures | None] = OrderedDict()
        self._keypoints = keyindex.KeypointIndex()

    # --- keeping the reference rows fresh --------------------------------------------------

    def entry_changed(self, entry_id: int) -> None:
        """Reload one entry's rows (features added to an entry that already existed)."""
        if not self.loaded:
            return  # the first refresh reads every entry's rows anyway
        with self._lock:
            self._drop(entry_id)
            self._add_rows(self._store.reference_hashes([entry_id]))

    def has_features(self, entry_id: int) -> bool:
        return entry_id in self._rows_of

    def _load(self) -> None:
        self._add_rows(self._store.reference_hashes(None))

    def _apply(self, changes: Sequence[Change]) -> None:
        added: list[int] = []
        for change in changes:
            if change.entry_id is not None:
                if change.kind is ChangeKind.ADD:
                    added.append(change.entry_id)
                elif change.kind is ChangeKind.RETIRE:
                    self._drop(change.entry_id)
        if added:
            for entry_id in added:
                self._drop(entry_id)
            self._add_rows(self._store.reference_hashes(added))

    def _add_rows(self, rows: Sequence[ReferenceHash]) -> None:
        rows = [row for row in rows if row.algorithm == "pdq"]
        self._index.add([row.id for row in rows], [row.value for row in rows])
        for row in rows:
            self._rows[row.id] = (row.entry_id, row.variant)
            self._rows_of.setdefault(row.entry_id, []).append(row.id)
        if self.policy.min_keypoint_votes > 0:
            entry_ids = sorted({row.entry_id for row in rows})
            for start in range(0, len(entry_ids), 500):
                chunk = entry_ids[start : start + 500]
                for entry_id, features in self._store.reference_features(chunk).items():
                    points, _ = geometric.unpack(features)
                    self._keypoints.add(entry_id, points.descriptors, points.points)

    def _drop(self, entry_id: int) -> None:
        ids = self._rows_of.pop(entry_id, [])
        self._index.remove(ids)
        for row_id in ids:
            self._rows.pop(row_id, None)
        self._features.pop(entry_id, None)
        self._keypoints.remove([entry_id])

    # --- matching --------------------------------------------------------------------------

    def run(self, query: Query, scope: Scope, found: list[Match]) -> list[Match]:
        """The robust stages, for an image query: edited copies (variants, then keypoints),
        looked for only on the lists in mode ``robust``."""
        if query.image is None:
            return found
        robust = {
            hash_list.name
            for hash_list in scope.lists.values()
            if hash_list.matching_mode is MatchingMode.ROBUST
        }
        every_list = scope.names is None and len(robust) == len(scope.lists)
        return self.match(query.image, query.digests, found, None if every_list else robust)

    def match(
        self,
        image: PreparedImage,
        digests: Sequence[Digest],
        plain: Sequence[Match],
        lists: Collection[str] | None = None,
    ) -> list[Match]:
        """All matches of one decoded upload, given its digests and their plain matches.

        The plain perceptual matches are checked on every list (a low-detail upload, or one
        whose content differs from the entry's picture, never matches on a hash alone); edited
        copies are looked for only on ``lists`` (None: every list; empty: none, and the
        search is skipped, which most uploads of a deployment without robust lists do)."""
        policy = self.policy
        pdq = next((d for d in digests if d.algorithm == "pdq"), None)
        if pdq is None:
            return [match for match in plain if ALGORITHMS[match.algorithm].exact]
        quality = pdq.quality or 0
        detailed = quality >= policy.min_query_quality
        # PDQ's quality counts gradients in grey levels: a dark or faded upload scores low
        # however much it shows once its levels are stretched, as the reference rows were
        # made. Measured so, its plain matches of media entries are judged by their content;
        # a raw hash, with no picture to compare, still needs the upload's own detail.
        levelled = quality if detailed else max(quality, variants.levelled_quality(image))
        judged = not detailed and levelled >= policy.min_query_quality
        if judged and any(not ALGORITHMS[m.algorithm].exact for m in plain):
            self.refresh()  # which entries have a picture to compare
        found = [
            match
            for match in plain
            if detailed
            or ALGORITHMS[match.algorithm].exact
            or (judged and self.has_features(match.entry_id))
        ]
        if lists is not None and not lists and all(ALGORITHMS[m.algorithm].exact for m in found):
            return found  # nothing to check, and no list takes edited copies
        self.refresh()
        probes: dict[str, Probe] = {}
        upload = next((d.hex for d in digests if d.algorithm == "sha256"), None)
        found = self._content_checked(image, found, probes, upload)
        if lists is not None and not lists:
            return found
        if policy.stop_at_plain_match and any(not ALGORITHMS[m.algorithm].exact for m in found):
            return found  # the upload's own hash already matched: no need to look further
        matched = {match.entry_id for match in found}
        sources = {match.source_sha256 for match in found if match.source_sha256}
        hashes, regions, boxes = variants.query_variants(image)
        if levelled > quality:
            # The upload's own turns, judged as the reference rows were made (the bits
            # barely move: PDQ ignores brightness).
            hashes = [
                replace(h, quality=levelled) if h.variant in variants.DIHEDRAL_NAMES else h
                for h in hashes
            ]
        if detailed:
            found.extend(
                self._raw_variant_matches(
                    [
                        h
                        for h in hashes
                        if h.variant != "original"
                        and variants.window_row(h.variant) is None
                        and h.quality >= policy.min_query_quality
                    ],
                    matched,
                    lists,
                )
            )
            matched.update(match.entry_id for match in found)
            sources.update(match.source_sha256 for match in found if match.source_sha256)
        # Low-detail uploads (dark, plain) still reach the geometric check, which needs
        # keypoints and content agreement: a blank image has neither.
        usable = [h for h in hashes if h.quality >= _CANDIDATE_QUALITY]
        candidates, nearest = self._candidates(usable, matched)
        confirmed = self._verified(image, candidates, (regions, boxes), probes, sources, lists)
        if (
            not confirmed
            and not found
            and policy.min_keypoint_votes > 0
            and nearest <= policy.keypoint_gate
        ):
            original = next(h for h in hashes if h.variant == "original")
            confirmed = self._verified(
                image,
                self._voted(image, original, (regions, boxes), probes, matched),
                (regions, boxes),
                probes,
                sources,
                lists,
            )
        found.extend(confirmed)
        found.sort(
            key=lambda match: (match.stage is not Stage.HASH, match.distance, match.entry_id)
        )
        return found

    def _content_checked(
        self,
        image: PreparedImage,
        found: list[Match],
        probes: dict[str, Probe],
        upload: str | None = None,
    ) -> list[Match]:
        """The plain matches, less those of media entries whose content the upload does not
        show: a PDQ distance within the threshold says the shapes are alike, and two glyphs
        or faces drawn alike are (an F within 14 bits of an E). The upload is compared in
        place first (cheap); if that fails, aligned by keypoints (it may be slightly cropped
        or shifted). An entry added from the very bytes uploaded (SHA-256 ``upload``) shows
        them by definition and is not compared."""
        gate = self.policy.geometric
        checked = [
            m
            for m in found
            if not ALGORITHMS[m.algorithm].exact
            and self.has_features(m.entry_id)
            and (upload is None or m.source_sha256 != upload)
        ]
        if not checked or not gate.check_content:
            return found
        features = self._load_features([m.entry_id for m in checked])
        rejected: set[int] = set()
        for match in checked:
            reference = features.get(match.entry_id)
            if reference is None:
                continue
            probe = probe_of(probes, image.rgb_array, ({}, {}), "original")
            gray, colour = probe.gray, probe.colour
            if not (
                geometric.verify_in_place(reference, gray, gate, colour, probe.outlined).confirmed
                or geometric.verify(
                    reference, probe.points, gray, gate, colour, probe.outlined
                ).confirmed
            ):
                rejected.add(match.entry_id)
        return [m for m in found if m.entry_id not in rejected]

    def _raw_variant_matches(
        self,
        hashes: Sequence[variants.VariantHash],
        matched: set[int],
        lists: Collection[str] | None,
    ) -> list[Match]:
        best: dict[int, Match] = {}
        by_hex = {variant.value.hex(): variant for variant in hashes}
        digests = [Digest("pdq", variant.value, variant.quality) for variant in by_hex.values()]
        for match in self._matcher.match(digests, lists):
            if (
                match.entry_id in matched
                or self.has_features(match.entry_id)
                or match.distance > self.policy.hash_only_distance
            ):
                continue
            current = best.get(match.entry_id)
            if current is None or match.distance < current.distance:
                best[match.entry_id] = match.with_evidence(variant=by_hex[match.query_hash].variant)
        return list(best.values())

    def _candidates(
        self, hashes: Sequence[variants.VariantHash], matched: set[int]
    ) -> tuple[list[Candidate], int]:
        """Entries with a reference row near a query variant (:mod:`.candidates`), and the
        distance of the nearest row within the keypoint gate (or one more than the gate)."""
        radius = max(self.policy.candidate_distance, self.policy.keypoint_gate)
        found = self._index.query_many([variant.value for variant in hashes], radius)
        return gather_candidates(hashes, found, self._rows, matched, self.policy)

    def _voted(
        self,
        image: PreparedImage,
        original: variants.VariantHash,
        regions: Regions,
        probes: dict[str, Probe],
        matched: set[int],
    ) -> list[Candidate]:
        """Candidates by keypoint votes of the whole upload (distance: the upload's PDQ
        distance to the entry's own hash, for the record; no PDQ radius applies)."""
        if not len(self._keypoints):
            return []
        points = probe_of(probes, image.rgb_array, regions, "original").points
        voted = [
            entry_id
            for entry_id, _ in self._keypoints.votes(
                points.descriptors, points.points, points.size, self.policy.min_keypoint_votes
            )
            if entry_id not in matched
        ]
        return [
            Candidate(entry_id, -1, original, "keypoints")
            for entry_id in voted[: 4 * self.policy.max_candidates]
        ]

    def _verified(
        self,
        image: PreparedImage,
        candidates: list[Candidate],
        regions: Regions,
        probes: dict[str, Probe],
        sources: set[str],
        lists: Collection[str] | None,
    ) -> list[Match]:
        if not candidates:
            return []
        allowed = {
            hash_list.id: hash_list
            for hash_list in self._matcher.lists().values()
            if "pdq" in hash_list.thresholds and (lists is None or hash_list.name in lists)
        }
        entries = self._store.get_entries([c.entry_id for c in candidates])
        candidates = [
            c
            for c in candidates
            if (entry := entries.get(c.entry_id)) is not None
            and entry.live
            and entry.list_id in allowed
            and (entry.source_sha256 is None or entry.source_sha256 not in sources)
        ][: self.policy.max_candidates]
        if not candidates:
            return []
        features = self._load_features([c.entry_id for c in candidates])
        confirmed: list[Match] = []
        gate = confirm.gate_for(candidates, self.policy)
        for candidate in candidates:
            reference = features.get(candidate.entry_id)
            if reference is None:
                continue
            verdict, key = confirm.check(
                reference, candidate, image, regions, probes, gate, self.policy
            )
            if verdict.confirmed:
                entry = entries[candidate.entry_id]
                if candidate.distance < 0:  # a keypoint candidate: report the hash distance
                    candidate = replace(
                        candidate, distance=confirm.distance(candidate.query, entry)
                    )
                radius = (
                    ALGORITHMS["pdq"].bits
                    if candidate.reference_variant == "keypoints"
                    else self.policy.candidate_distance
                )
                variant = key if key != candidate.query.image else candidate.query.variant
                size = (reference.width, reference.height)
                drawn = placement(verdict, size, probes[key].frame)
                confirmed.append(
                    confirm.explain(
                        entry, allowed[entry.list_id], candidate, verdict, drawn, radius, variant
                    )
                )
        return confirmed

    def _load_features(self, entry_ids: Sequence[int]) -> dict[int, ReferenceFeatures]:
        missing = [entry_id for entry_id in entry_ids if entry_id not in self._features]
        if missing:
            loaded = self._store.reference_features(missing)
            for entry_id in missing:
                self._features[entry_id] = loaded.get(entry_id)
            while len(self._features) > _FEATURE_CACHE:
                self._features.popitem(last=False)
        return {
            entry_id: features
            for entry_id in entry_ids
            if (features := self._features.get(entry_id)) is not None
        }
