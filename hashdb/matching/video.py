"""Video matching in three directions, with time ranges in every explanation.

- **video → known videos** (vPDQ-style): each sampled query frame (and its mirror, and its
  central band) is looked up in a frame index holding every frame of every live video entry.
  A known video matches when the share of the query's time whose frames match one of its
  frames reaches the list's ``min_query_share``, and the share of the known video's time those
  frames cover reaches ``min_reference_share``. Shares are of time (each kept frame stands for
  the time until the next), so de-duplicated static stretches weigh what they last.
- **image → frames of known videos**: a still or screenshot matches a known video when it is
  within the list's PDQ threshold of one of its frames; the explanation gives the timestamps.
- **video → known images**: every sampled query frame is matched against the image entries by
  the plain stage's indexes (:class:`~hashdb.matching.indexes.HashIndexes`); a hit is
  reported once per entry with the query time ranges where the image is shown.

The frame index is a cache like the entry indexes: built from ``video_frames`` rows of live
``vpdq`` entries and kept fresh by following the store's change sequence (an entry's frames
are committed with its ADD, and dropped on its RETIRE).
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from hashdb.hashing import ALGORITHMS, Digest
from hashdb.hashing.vpdq import (
    VIDEO_ALGORITHM,
    FrameHash,
    ImageProbe,
    fingerprint,
    probe_image,
)
from hashdb.index import HammingIndex, make_index
from hashdb.matching.evidence import Direction, TimeRange, VideoEvidence
from hashdb.matching.follower import ChangeFollower
from hashdb.matching.indexes import HashIndexes
from hashdb.matching.match import Evidence, Match
from hashdb.matching.query import Query, Scope
from hashdb.store.base import Store
from hashdb.store.models import Change, ChangeKind, Entry, HashList, VideoFrame, VideoRule
from hashdb.store.watch import ChangeWatcher


@dataclass
class _Hits:
    """Per (entry, orientation): for each matching query frame, its closest reference frame."""

    # query frame position -> (distance, reference frame id, region)
    query: dict[int, tuple[int, int, str]] = field(default_factory=dict)


class VideoMatcher(ChangeFollower):
    def __init__(
        self,
        store: Store,
        indexes: HashIndexes,
        *,
        default_rule: VideoRule,
        min_quality: int,
        refresh_interval: float = 0.2,
        watcher: ChangeWatcher | None = None,
    ) -> None:
        super().__init__(store, refresh_interval, watcher)
        self._indexes = indexes
        self._default_rule = default_rule
        self._min_quality = min_quality
        pdq = ALGORITHMS["pdq"]
        self._frame_index: HammingIndex = make_index(pdq)
        self._band_index: HammingIndex = make_index(pdq)
        self._frames: dict[int, VideoFrame] = {}
        self._frames_of: dict[int, list[int]] = {}
        self._rules: dict[int, VideoRule] | None = None

    # --- keeping the frame index fresh -------------------------------------------------

    @property
    def frame_count(self) -> int:
        return len(self._frames)

    def _load(self) -> None:
        for batch in self._store.iter_live_video_frames():
            self._add_frames(batch)

    def _apply(self, changes: Sequence[Change]) -> None:
        added: list[int] = []
        for change in changes:
            if change.kind is ChangeKind.LIST:
                self._rules = None
            elif change.entry_id is not None and change.algorithm == VIDEO_ALGORITHM:
                if change.kind is ChangeKind.ADD:
                    added.append(change.entry_id)
                elif change.kind is ChangeKind.RETIRE:
                    if change.entry_id in added:
                        added.remove(change.entry_id)
                    self._remove_entry(change.entry_id)
        if added:
            # Re-adding is harmless: frames are replaced by id.
            for frames in self._store.video_frames(added).values():
                self._add_frames(frames)

    def _add_frames(self, frames: Sequence[VideoFrame]) -> None:
        usable = [frame for frame in frames if frame.quality >= self._min_quality]
        if not usable:
            return
        self._frame_index.add([f.id for f in usable], [f.value for f in usable])
        banded = [f for f in usable if f.band is not None]
        self._band_index.add([f.id for f in banded], [f.band for f in banded if f.band])
        for frame in usable:
            if frame.id not in self._frames:
                self._frames_of.setdefault(frame.entry_id, []).append(frame.id)
            self._frames[frame.id] = frame

    def _remove_entry(self, entry_id: int) -> None:
        ids = self._frames_of.pop(entry_id, [])
        self._frame_index.remove(ids)
        self._band_index.remove(ids)
        for frame_id in ids:
            self._frames.pop(frame_id, None)

    def _rule(self, list_id: int) -> VideoRule:
        rules = self._rules
        if rules is None:
            rules = self._store.video_rules()
            self._rules = rules
        return rules.get(list_id, self._default_rule)

    def _candidate_lists(self, lists: Collection[str] | None) -> dict[int, HashList]:
        return {
            hash_list.id: hash_list
            for hash_list in self._indexes.lists().values()
            if (lists is None or hash_list.name in lists) and "pdq" in hash_list.thresholds
        }

    # --- the stage ---------------------------------------------------------------------

    def run(self, query: Query, scope: Scope, found: list[Match]) -> list[Match]:
        """A video query against known videos and images; an image query against the frames
        of known videos (skipped at once while no video is known)."""
        if query.video is not None:
            return found + self.match_video(query.video.frames, scope.names)
        if query.image is not None:
            self.refresh()
            if self.frame_count:
                return found + self.match_image(probe_image(query.image.rgb_array), scope.names)
        return found

    # --- an image against video frames -------------------------------------------------

    def match_image(self, probe: ImageProbe, lists: Collection[str] | None = None) -> list[Match]:
        """A still or screenshot against the frames of every known video."""
        self._indexes.refresh()
        self.refresh()
        candidates = self._candidate_lists(lists)
        if not self._frames or not candidates or probe.quality < self._min_quality:
            return []
        radius = max(hash_list.thresholds["pdq"] for hash_list in candidates.values())
        # frame id -> (distance, mirrored, region)
        best: dict[int, tuple[int, bool, str]] = {}
        lookups = (
            (self._frame_index, probe.value, False, "frame"),
            (self._frame_index, probe.mirrored, True, "frame"),
            (self._band_index, probe.band, False, "band"),
            (self._band_index, probe.band_mirrored, True, "band"),
        )
        for index, value, mirrored, region in lookups:
            for frame_id, distance in index.query(value, radius).pairs():
                if frame_id not in best or distance < best[frame_id][0]:
                    best[frame_id] = (distance, mirrored, region)
        by_entry: dict[int, list[tuple[VideoFrame, int, bool, str]]] = {}
        for frame_id, (distance, mirrored, region) in best.items():
            frame = self._frames.get(frame_id)
            if frame is not None:
                by_entry.setdefault(frame.entry_id, []).append((frame, distance, mirrored, region))
        entries = self._store.get_entries(list(by_entry))
        matches: list[Match] = []
        for entry_id, hits in by_entry.items():
            entry = entries.get(entry_id)
            if entry is None or not entry.live or entry.list_id not in candidates:
                continue
            hash_list = candidates[entry.list_id]
            threshold = hash_list.thresholds["pdq"]
            within = sorted(
                (hit for hit in hits if hit[1] <= threshold), key=lambda h: h[0].timestamp
            )
            if not within:
                continue
            top = min(within, key=lambda hit: (hit[1], hit[0].timestamp))
            ranges = [
                TimeRange(None, None, start, end)
                for start, end in _merge(
                    (f.timestamp, f.timestamp + f.duration) for f, _, _, _ in within
                )
            ]
            evidence = VideoEvidence(
                direction=Direction.IMAGE_IN_VIDEO,
                matched_frames=len(within),
                ranges=ranges,
                mirrored=top[2],
                region=top[3],
            )
            matches.append(
                _match(hash_list, entry, VIDEO_ALGORITHM, top[1], threshold, probe.value, evidence)
            )
        return matches

    # --- a video against known videos and known images ---------------------------------

    def match_video(
        self, frames: Sequence[FrameHash], lists: Collection[str] | None = None
    ) -> list[Match]:
        usable = [frame for frame in frames if frame.quality >= self._min_quality]
        if not usable:
            return []
        return self._against_videos(usable, frames, lists) + self._against_images(usable, lists)

    def _against_videos(
        self,
        usable: Sequence[FrameHash],
        frames: Sequence[FrameHash],
        lists: Collection[str] | None,
    ) -> list[Match]:
        self._indexes.refresh()
        self.refresh()
        candidates = self._candidate_lists(lists)
        if not self._frames or not candidates:
            return []
        radius = max(hash_list.thresholds["pdq"] for hash_list in candidates.values())
        hits: dict[tuple[int, bool], _Hits] = {}
        for position, frame in enumerate(usable):
            lookups = (
                (self._frame_index, frame.value, False, "frame"),
                (self._frame_index, frame.mirrored, True, "frame"),
                (self._band_index, frame.band, False, "band"),
                (self._band_index, frame.band_mirrored, True, "band"),
            )
            for index, value, mirrored, region in lookups:
                if value is None:
                    continue
                for frame_id, distance in index.query(value, radius).pairs():
                    reference = self._frames.get(frame_id)
                    if reference is None:
                        continue
                    bucket = hits.setdefault((reference.entry_id, mirrored), _Hits())
                    current = bucket.query.get(position)
                    if current is None or distance < current[0]:
                        bucket.query[position] = (distance, frame_id, region)
        if not hits:
            return []
        entries = self._store.get_entries(list({entry_id for entry_id, _ in hits}))
        query_time = sum(frame.duration for frame in usable) or 1.0
        best: dict[int, Match] = {}
        for (entry_id, mirrored), bucket in hits.items():
            entry = entries.get(entry_id)
            if entry is None or not entry.live or entry.list_id not in candidates:
                continue
            hash_list = candidates[entry.list_id]
            threshold = hash_list.thresholds["pdq"]
            matched = {
                position: hit for position, hit in bucket.query.items() if hit[0] <= threshold
            }
            if not matched:
                continue
            # Each matched query frame covers its own duration of the known video, from the
            # reference frame it matched best.
            spans = {
                position: (
                    self._frames[hit[1]].timestamp,
                    self._frames[hit[1]].timestamp + usable[position].duration,
                )
                for position, hit in matched.items()
            }
            reference_time = (
                sum(self._frames[frame_id].duration for frame_id in self._frames_of[entry_id])
                or 1.0
            )
            query_share = sum(usable[p].duration for p in matched) / query_time
            covered = sum(end - start for start, end in _merge(spans.values(), gap=0.0))
            reference_share = min(covered / reference_time, 1.0)
            rule = self._rule(hash_list.id)
            if query_share < rule.min_query_share or reference_share < rule.min_reference_share:
                continue
            evidence = VideoEvidence(
                direction=Direction.VIDEO,
                matched_frames=len(matched),
                ranges=_ranges(usable, spans),
                query_share=round(query_share, 4),
                reference_share=round(reference_share, 4),
                min_query_share=rule.min_query_share,
                min_reference_share=rule.min_reference_share,
                mirrored=mirrored,
                region=statistics.mode(hit[2] for hit in matched.values()),
            )
            distance = int(statistics.median_low(hit[0] for hit in matched.values()))
            match = _match(
                hash_list,
                entry,
                VIDEO_ALGORITHM,
                distance,
                threshold,
                fingerprint(frame.value for frame in frames),
                evidence,
            )
            previous = best.get(entry_id)
            if previous is None or _share(match) > _share(previous):
                best[entry_id] = match
        return list(best.values())

    def _against_images(
        self, usable: Sequence[FrameHash], lists: Collection[str] | None
    ) -> list[Match]:
        """Known images shown in the query video, once per entry with the time ranges."""
        digests: list[Digest] = []
        owners: list[tuple[FrameHash, bool]] = []
        for frame in usable:
            digests.append(Digest("pdq", frame.value, frame.quality))
            owners.append((frame, False))
            if frame.mirrored is not None:
                digests.append(Digest("pdq", frame.mirrored, frame.quality))
                owners.append((frame, True))
        found = self._indexes.match(digests, lists)
        if not found:
            return []
        by_hash: dict[str, list[tuple[FrameHash, bool]]] = {}
        for digest, owner in zip(digests, owners, strict=True):
            by_hash.setdefault(digest.hex, []).append(owner)
        per_entry: dict[int, list[tuple[Match, FrameHash, bool]]] = {}
        for match in found:
            for frame, mirrored in by_hash.get(match.query_hash, []):
                per_entry.setdefault(match.entry_id, []).append((match, frame, mirrored))
        results: list[Match] = []
        for hits in per_entry.values():
            top_match, _top_frame, top_mirrored = min(
                hits, key=lambda hit: (hit[0].distance, hit[1].timestamp)
            )
            frames = {frame.index: frame for _, frame, _ in hits}
            ranges = [
                TimeRange(start, end, None, None)
                for start, end in _merge((f.timestamp, f.end) for f in frames.values())
            ]
            evidence = VideoEvidence(
                direction=Direction.VIDEO_SHOWS_IMAGE,
                matched_frames=len(frames),
                ranges=ranges,
                mirrored=top_mirrored,
            )
            results.append(top_match.with_evidence(video=evidence))
        return results


def _share(match: Match) -> float:
    return (match.video.query_share or 0.0) if match.video else 0.0


def _ranges(usable: Sequence[FrameHash], spans: dict[int, tuple[float, float]]) -> list[TimeRange]:
    """Runs of consecutive matched query frames, with the stretch of the known video each
    run matched."""
    ranges: list[TimeRange] = []
    run: list[int] = []

    def close() -> None:
        ranges.append(
            TimeRange(
                query_start=usable[run[0]].timestamp,
                query_end=round(usable[run[-1]].end, 3),
                reference_start=round(min(spans[p][0] for p in run), 3),
                reference_end=round(max(spans[p][1] for p in run), 3),
            )
        )

    for position in sorted(spans):
        if run and position != run[-1] + 1:
            close()
            run = []
        run.append(position)
    if run:
        close()
    return ranges


def _merge(spans: Iterable[tuple[float, float]], gap: float = 0.05) -> list[tuple[float, float]]:
    """Union of time spans, touching ones joined."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(round(start, 3), round(end, 3)) for start, end in merged]


def _match(
    hash_list: HashList,
    entry: Entry,
    algorithm: str,
    distance: int,
    threshold: int,
    query_value: bytes,
    evidence: VideoEvidence,
) -> Match:
    return Match.of(
        entry,
        hash_list,
        Evidence(algorithm, distance, threshold, query_value.hex(), video=evidence),
    )
