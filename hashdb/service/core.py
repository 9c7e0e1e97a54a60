""":class:`HashDB`: settings, one store and its matchers, and the core user actions (hashing,
lists, adds, matching, entries). Every other area is a sub-service over it (``service.review``,
``service.labels``, ``service.exchange``…), each in its own module of this package."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from hashdb.auth import access
from hashdb.auth.keys import KeyService
from hashdb.errors import (
    EntryNotFound,
    FileNotReadable,
    Forbidden,
    InvalidHash,
    ListNotFound,
    MediaTooLarge,
    UploadTooLarge,
)
from hashdb.hashing import ALGORITHMS, Digest, get_algorithm
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.matching.indexes import Match, Matcher
from hashdb.matching.near_misses import find_near_misses
from hashdb.matching.policy import LabelFilter, apply_allow_lists
from hashdb.matching.robust.matcher import RobustMatcher, RobustPolicy
from hashdb.matching.robust.reference import (
    MIN_ANCHOR_KEYPOINTS,
    reference_data,
    reference_keypoints,
)
from hashdb.matching.video import VideoMatcher, probe_image
from hashdb.media import DecodeOptions, PreparedImage, decode_image
from hashdb.media.video import (
    SamplingMode,
    VideoOptions,
    hash_video,
    sniff_video,
    sniff_video_container,
)
from hashdb.service.exchange import ExchangeService
from hashdb.service.feedback import FeedbackService
from hashdb.service.labels import LabelService
from hashdb.service.organisations import OrganisationService
from hashdb.service.results import (
    AddedHash,
    AddReport,
    EntryMetadata,
    MatchResult,
    MediaHashes,
    Refusal,
)
from hashdb.service.review import ReviewService
from hashdb.service.shared import actor, adding_organisation, audit_actor, entry_added_by
from hashdb.service.sharing import SharingService
from hashdb.settings import Settings
from hashdb.store import Entry, HashList, ListAction, NewEntry, NewList, Store, open_store
from hashdb.store.models import (
    VIDEO_ALGORITHM,
    AuditRecord,
    EntryQuery,
    ListSettings,
    NewVideoFrame,
    Sharing,
    VideoRule,
    fingerprint,
)

if TYPE_CHECKING:
    from hashdb.rescan.job import Rescan, RescanRequest
    from hashdb.rescan.rematch import RematchReport


class HashDB:
    """The hashdb service: settings, one store and one matcher, and every user action (the
    core ones here, the others through the sub-service properties)."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store
        self._matcher: Matcher | None = None
        self._keys: KeyService | None = None
        self._video_matcher: VideoMatcher | None = None
        self._robust: RobustMatcher | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings.db)
        return self._store

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self._matcher = Matcher(self.store, self.settings.refresh_interval)
        return self._matcher

    @property
    def keys(self) -> KeyService:
        if self._keys is None:
            self._keys = KeyService(self.store, self.settings.auth_cache_seconds)
        return self._keys

    # Sub-services: one area of user actions each, reaching the store and the shared checks
    # below through this service.

    @cached_property
    def exchange(self) -> ExchangeService:
        return ExchangeService(self)

    @cached_property
    def feedback(self) -> FeedbackService:
        return FeedbackService(self)

    @cached_property
    def labels(self) -> LabelService:
        return LabelService(self)

    @cached_property
    def organisations(self) -> OrganisationService:
        return OrganisationService(self)

    @cached_property
    def review(self) -> ReviewService:
        return ReviewService(self)

    @cached_property
    def sharing(self) -> SharingService:
        return SharingService(self)

    @property
    def video_matcher(self) -> VideoMatcher:
        if self._video_matcher is None:
            self._video_matcher = VideoMatcher(
                self.store,
                self.matcher,
                default_rule=VideoRule(
                    self.settings.video_min_query_share, self.settings.video_min_reference_share
                ),
                min_quality=self.settings.min_pdq_quality,
                refresh_interval=self.settings.refresh_interval,
            )
        return self._video_matcher

    @property
    def robust(self) -> RobustMatcher:
        if self._robust is None:
            policy = RobustPolicy(
                min_query_quality=self.settings.robust_min_query_quality,
                candidate_distance=self.settings.robust_candidate_distance,
                max_candidates=self.settings.robust_max_candidates,
                hash_only_distance=self.settings.robust_hash_only_distance,
                stop_at_plain_match=not self.settings.robust_exhaustive,
                min_keypoint_votes=self.settings.robust_keypoint_votes,
                keypoint_gate=self.settings.robust_keypoint_gate,
            )
            self._robust = RobustMatcher(
                self.store, self.matcher, policy, self.settings.refresh_interval
            )
        return self._robust

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def warm_up(self) -> None:
        """Load the index and hash one generated image, so the first real request pays for
        neither (imagehash imports SciPy on its first pHash: ~0.4 s)."""
        self.matcher.refresh(force=True)
        self.video_matcher.refresh(force=True)
        gradient = Image.linear_gradient("L").resize((64, 64)).convert("RGB")
        buffer = io.BytesIO()
        gradient.save(buffer, "PNG")
        self.hash_bytes(buffer.getvalue())

    def ready(self) -> None:
        """Raise :class:`~hashdb.errors.StoreUnavailable` unless the database answers."""
        self.store.ping()

    # --- hashing ------------------------------------------------------------------------

    @property
    def decode_options(self) -> DecodeOptions:
        return DecodeOptions(
            max_pixels=self.settings.max_pixels,
            min_side=self.settings.min_side,
            decode_size=self.settings.decode_size,
        )

    def upload_limit(self, head: bytes) -> int:
        """The byte limit for media starting with ``head``: videos have their own."""
        if sniff_video_container(head) is not None:
            return self.settings.video_max_bytes
        return self.settings.max_upload_bytes

    def read_file(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                limit = self.upload_limit(handle.read(64))
            if size > limit:
                raise MediaTooLarge(f"{size} bytes is over the limit of {limit}", bytes=size)
            return path.read_bytes()
        except FileNotFoundError:
            raise FileNotReadable("no such file") from None
        except IsADirectoryError:
            raise FileNotReadable("is a directory") from None
        except PermissionError:
            raise FileNotReadable("permission denied") from None
        except OSError as exc:
            raise FileNotReadable(f"cannot read the file: {exc.strerror or exc}") from None

    def check_upload_size(self, size: int, limit: int | None = None) -> None:
        limit = self.settings.max_upload_bytes if limit is None else limit
        if size > limit:
            raise UploadTooLarge(
                f"upload of {size} bytes is over the limit of {limit}", limit=limit
            )

    def decode(self, data: bytes) -> PreparedImage:
        return decode_image(data, self.decode_options)

    def video_options(self, *, reference: bool) -> VideoOptions:
        """Sampling for a query video (sparse, with mirrored hashes) or for a video added to a
        list (dense, so stills and short clips land near a stored frame)."""
        settings = self.settings
        return VideoOptions(
            mode=SamplingMode.FPS if reference else SamplingMode(settings.video_mode),
            fps=settings.video_reference_fps if reference else settings.video_fps,
            frame_size=settings.video_frame_size,
            dedupe_distance=settings.video_dedupe_distance,
            max_duration=settings.video_max_duration,
            max_decoded_frames=settings.video_max_frames,
            max_pixels=settings.max_pixels,
            min_side=settings.min_side,
            mirrored=not reference,
            fast_decode=not reference,
            frame_threads=settings.video_frame_threads,
        )

    def hash_video_bytes(
        self, data: bytes, algorithms: Sequence[str] | None = None, *, reference: bool = False
    ) -> MediaHashes:
        video = hash_video(data, self.video_options(reference=reference))
        names = (
            {"md5", "sha256"} if algorithms is None else {get_algorithm(a).name for a in algorithms}
        )
        digests = []
        if "md5" in names:
            digests.append(Digest("md5", hashlib.md5(data, usedforsecurity=False).digest()))
        if "sha256" in names:
            digests.append(Digest("sha256", hashlib.sha256(data).digest()))
        return MediaHashes(
            digests=digests,
            format=video.container,
            width=video.width,
            height=video.height,
            size_bytes=len(data),
            video=video,
        )

    def hash_bytes(self, data: bytes, algorithms: Sequence[str] | None = None) -> MediaHashes:
        if sniff_video(data) is not None:
            # As added to a list, so ``hashdb hash`` shows the vpdq value ``add`` stores.
            return self.hash_video_bytes(data, algorithms, reference=True)
        return self._hash_image(self.decode(data), data, algorithms)

    def _hash_image(
        self, image: PreparedImage, data: bytes, algorithms: Sequence[str] | None = None
    ) -> MediaHashes:
        names = (
            list(ALGORITHMS) if algorithms is None else [get_algorithm(a).name for a in algorithms]
        )
        width, height = image.original_size
        return MediaHashes(
            digests=[ALGORITHMS[name].compute(image) for name in names],
            format=image.format,
            width=width,
            height=height,
            size_bytes=len(data),
        )

    def hash_file(self, path: Path, algorithms: Sequence[str] | None = None) -> MediaHashes:
        return self.hash_bytes(self.read_file(path), algorithms)

    # --- lists --------------------------------------------------------------------------

    def lists(self, principal: Principal = LOCAL_OPERATOR) -> list[HashList]:
        """The lists ``principal`` can see."""
        settings = self.store.all_list_settings()
        return [
            hash_list
            for hash_list in self.store.lists()
            if access.can_read(principal, settings.get(hash_list.id, ListSettings(hash_list.id)))
        ]

    def create_list(
        self,
        new: NewList,
        principal: Principal = LOCAL_OPERATOR,
        *,
        sharing: Sharing | None = None,
        owner: str | None = None,
    ) -> HashList:
        """Create a list owned by the principal's organisation (the operator may name one)."""
        if not principal.has(Role.ANALYST):
            raise Forbidden(f"creating lists needs the analyst role; you have {principal.role}")
        if principal.organisation is not None:
            if owner is not None and owner != principal.organisation:
                raise Forbidden("a list can only be created for your own organisation")
            owner = principal.organisation
        with self.store.transaction():
            if owner is not None:
                self.store.ensure_organisation(owner)
            created = self.store.create_list(new)
            if owner is not None or sharing is not None:
                sharing = sharing or Sharing(self.settings.default_sharing)
                self.store.save_list_settings(ListSettings(created.id, owner, Sharing(sharing)))
            self.store.record_audit(
                actor(principal),
                "list.create",
                "list",
                created.name,
                None,
                {**created.to_dict(), **self.store.list_settings(created.id).to_dict()},
            )
        self.sharing.changed()
        return created

    def get_list(self, name: str, principal: Principal = LOCAL_OPERATOR) -> HashList:
        """A list by name; one the principal cannot see is reported as not found."""
        hash_list = self.store.get_list(name)
        if not access.can_read(principal, self.store.list_settings(hash_list.id)):
            raise ListNotFound(f"no list named {name!r}", list=name)
        return hash_list

    def update_list(
        self,
        name: str,
        *,
        description: str | None = None,
        action: ListAction | None = None,
        thresholds: dict[str, int] | None = None,
        principal: Principal = LOCAL_OPERATOR,
    ) -> HashList:
        with self.store.transaction():
            before = self.get_list(name, principal)
            access.check_manage(principal, before, self.store.list_settings(before.id))
            updated = self.store.update_list(
                name, description=description, action=action, thresholds=thresholds
            )
            self.store.record_audit(
                actor(principal),
                "list.update",
                "list",
                name,
                before=before.to_dict(),
                after=updated.to_dict(),
            )
        return updated

    def delete_list(self, name: str, principal: Principal = LOCAL_OPERATOR) -> HashList:
        """Delete a list that never held an entry (409 :class:`Conflict` otherwise)."""
        with self.store.transaction():
            hash_list = self.get_list(name, principal)
            access.check_manage(principal, hash_list, self.store.list_settings(hash_list.id))
            deleted = self.store.delete_list(name)
            self.store.record_audit(
                actor(principal), "list.delete", "list", name, before=deleted.to_dict()
            )
        self.sharing.changed()
        return deleted

    # --- adding -------------------------------------------------------------------------

    def add_digests(
        self,
        list_name: str,
        digests: Sequence[Digest],
        metadata: EntryMetadata,
        *,
        force: bool = False,
        source_sha256: str | None = None,
        create_list: bool = True,
        principal: Principal = LOCAL_OPERATOR,
    ) -> AddReport:
        """Add hashes to a list, refusing degenerate or low-quality ones unless forced."""
        organisation = adding_organisation(metadata, principal)
        labels = self.store.check_labels(metadata.labels)
        added_by = entry_added_by(metadata, principal)
        report = AddReport(list_name=list_name)
        accepted: list[Digest] = []
        for digest in digests:
            try:
                if not force:
                    get_algorithm(digest.algorithm).check_storable(
                        digest, min_quality=self.settings.min_pdq_quality
                    )
            except InvalidHash as exc:
                report.refused.append(Refusal(digest.algorithm, digest.hex, exc.code, exc.message))
            else:
                accepted.append(digest)
        if not accepted:
            return report
        with self.store.transaction():
            hash_list = self.writable_list(list_name, principal, create=create_list)
            outcomes = self.store.add_entries(
                hash_list.id,
                [
                    NewEntry(
                        algorithm=digest.algorithm,
                        value=digest.value,
                        quality=digest.quality,
                        source_sha256=source_sha256,
                        label=metadata.label,
                        note=metadata.note,
                        added_by=added_by,
                        organisation=organisation,
                        source=metadata.source,
                        labels=labels,
                    )
                    for digest in accepted
                ],
            )
            created = [outcome.entry_id for outcome in outcomes if outcome.created]
            for entry in self.store.get_entries(created).values():
                self.store.record_audit(
                    audit_actor(principal, added_by),
                    "entry.add",
                    "entry",
                    str(entry.id),
                    after=entry.to_dict(),
                )
        report.added.extend(
            AddedHash(digest.algorithm, digest.hex, outcome.entry_id, outcome.created)
            for digest, outcome in zip(accepted, outcomes, strict=True)
        )
        return report

    def add_media(
        self,
        list_name: str,
        data: bytes,
        metadata: EntryMetadata,
        *,
        force: bool = False,
        create_list: bool = True,
        principal: Principal = LOCAL_OPERATOR,
    ) -> AddReport:
        if sniff_video(data) is not None:
            return self.add_video(
                list_name,
                data,
                metadata,
                force=force,
                create_list=create_list,
                principal=principal,
            )
        image = self.decode(data)
        hashes = self._hash_image(image, data)
        digests = hashes.digests
        pdq = hashes.get("pdq")
        features, rows = reference_data(image.rgb_array)
        with self.store.transaction():
            if (
                not force
                and pdq is not None
                and pdq.quality is not None
                and pdq.quality < self.settings.min_pdq_quality
            ):
                # Too little detail for PDQ means too little for every perceptual hash.
                report = self.add_digests(
                    list_name,
                    [d for d in digests if get_algorithm(d.algorithm).exact],
                    metadata,
                    source_sha256=hashes.sha256,
                    create_list=create_list,
                    principal=principal,
                )
                report.refused.extend(
                    Refusal(
                        d.algorithm,
                        d.hex,
                        "low_quality",
                        f"PDQ quality {pdq.quality} is below {self.settings.min_pdq_quality}: "
                        "the image has too little detail for perceptual matching",
                    )
                    for d in digests
                    if not get_algorithm(d.algorithm).exact
                )
                # A dark or plain but not blank picture can still be recognised by its
                # keypoints: robust matching anchors it on the SHA-256 entry, never on hash
                # alone.
                anchor = "sha256" if reference_keypoints(features) >= MIN_ANCHOR_KEYPOINTS else ""
            else:
                report = self.add_digests(
                    list_name,
                    digests,
                    metadata,
                    force=force,
                    source_sha256=hashes.sha256,
                    create_list=create_list,
                    principal=principal,
                )
                anchor = "pdq"
            # Robust matching: keypoints and variant rows hang off the anchor entry.
            late = [
                added.entry_id
                for added in report.added
                if added.algorithm == anchor
                and self.store.add_reference_data(added.entry_id, features, rows)
                and not added.created
            ]
        for entry_id in late:  # an entry from before robust matching: no change is logged
            if self._robust is not None:
                self._robust.entry_changed(entry_id)
        return report

    def add_video(
        self,
        list_name: str,
        data: bytes,
        metadata: EntryMetadata,
        *,
        force: bool = False,
        create_list: bool = True,
        principal: Principal = LOCAL_OPERATOR,
    ) -> AddReport:
        """Add a video as ONE ``vpdq`` entry holding its frame hashes, plus its MD5/SHA-256.

        Frames below the PDQ quality minimum (black, flat) are not stored; a video with no
        usable frame keeps only its exact hashes. All of it is one transaction."""
        hashes = self.hash_video_bytes(data, reference=True)
        video = hashes.video
        assert video is not None
        minimum = 0 if force else self.settings.min_pdq_quality
        usable = [frame for frame in video.frames if frame.quality >= minimum]
        value = fingerprint(frame.value for frame in usable)
        with self.store.transaction():
            report = self.add_digests(
                list_name,
                hashes.digests,
                metadata,
                force=force,
                source_sha256=hashes.sha256,
                create_list=create_list,
                principal=principal,
            )
            if not usable:
                report.refused.append(
                    Refusal(
                        VIDEO_ALGORITHM,
                        value.hex(),
                        "low_quality",
                        f"no frame of the video reaches PDQ quality {minimum}: too little "
                        "detail for perceptual matching",
                    )
                )
            else:
                hash_list = self.writable_list(list_name, principal, create=create_list)
                added_by = entry_added_by(metadata, principal)
                (outcome,) = self.store.add_entries(
                    hash_list.id,
                    [
                        NewEntry(
                            algorithm=VIDEO_ALGORITHM,
                            value=value,
                            source_sha256=hashes.sha256,
                            label=metadata.label,
                            note=metadata.note,
                            added_by=added_by,
                            organisation=adding_organisation(metadata, principal),
                            source=metadata.source,
                            labels=self.store.check_labels(metadata.labels),
                        )
                    ],
                )
                if outcome.created:
                    self.store.record_audit(
                        audit_actor(principal, added_by),
                        "entry.add",
                        "entry",
                        str(outcome.entry_id),
                        after=self.store.get_entry(outcome.entry_id).to_dict(),
                    )
                    self.store.add_video_frames(
                        outcome.entry_id,
                        [
                            NewVideoFrame(
                                index=position,
                                timestamp=frame.timestamp,
                                duration=frame.duration,
                                value=frame.value,
                                quality=frame.quality,
                                band=frame.band,
                            )
                            for position, frame in enumerate(usable)
                        ],
                    )
                report.added.append(
                    AddedHash(VIDEO_ALGORITHM, value.hex(), outcome.entry_id, outcome.created)
                )
        if video.error:
            report.warnings.append(f"only part of the video was hashed: {video.error}")
        return report

    def set_video_rule(
        self, list_name: str, min_query_share: float, min_reference_share: float
    ) -> VideoRule:
        """Set the shares of time a video-to-video match needs on one list."""
        rule = VideoRule(min_query_share, min_reference_share)
        with self.store.transaction():
            self.store.set_video_rule(self.store.get_list(list_name).id, rule)
        return rule

    def video_rule(self, list_name: str) -> VideoRule:
        hash_list = self.store.get_list(list_name)
        default = VideoRule(
            self.settings.video_min_query_share, self.settings.video_min_reference_share
        )
        return self.store.video_rules().get(hash_list.id, default)

    def add_hex(
        self,
        list_name: str,
        algorithm: str,
        values: Sequence[str],
        metadata: EntryMetadata,
        *,
        force: bool = False,
        create_list: bool = True,
        principal: Principal = LOCAL_OPERATOR,
    ) -> AddReport:
        """Add raw hashes as received from a partner. Malformed values raise before any write."""
        hasher = get_algorithm(algorithm)
        digests = [hasher.parse(value) for value in values]
        return self.add_digests(
            list_name,
            digests,
            metadata,
            force=force,
            create_list=create_list,
            principal=principal,
        )

    # --- matching -----------------------------------------------------------------------

    def match_digests(
        self,
        digests: Sequence[Digest],
        lists: Collection[str] | None = None,
        *,
        principal: Principal = LOCAL_OPERATOR,
        labels: Sequence[str] | None = None,
    ) -> list[Match]:
        """The reportable matches of one piece of media (allow-listed media has none)."""
        return self.screen_digests(digests, lists, principal=principal, labels=labels).matches

    def screen_digests(
        self,
        digests: Sequence[Digest],
        lists: Collection[str] | None = None,
        *,
        principal: Principal = LOCAL_OPERATOR,
        labels: Sequence[str] | None = None,
        hashes: MediaHashes | None = None,
        more_matches: Callable[[list[Match], Collection[str] | None], list[Match]] | None = None,
    ) -> MatchResult:
        """Match the hashes of one piece of media, then apply the policy every face shares.

        Only lists the principal can see take part (plus every visible allow list, even when
        ``lists`` names others: a list filter must not bypass known false positives). Matches
        are filtered by ``labels``; an allow hit suppresses the rest; near-misses within a
        list's review radius go to the review queue.
        """
        label_filter = LabelFilter.parse(labels)
        candidates, names, sharing = self._matchable_lists(lists, principal)
        raw = self.matcher.match(digests, names)
        if more_matches is not None:  # robust stages, video frames: the same policy applies
            raw = sorted(
                more_matches(raw, names),
                key=lambda match: (match.distance, match.list, match.entry_id),
            )
        raw = _labelled(raw, label_filter)
        outcome = apply_allow_lists(raw)
        review_items: list[int] = []
        if not outcome.allowed:
            review_items = self._queue_near_misses(digests, candidates, sharing, raw, principal)
        return MatchResult(
            outcome.matches,
            hashes,
            allowed_by=outcome.allowed_by,
            suppressed=outcome.suppressed,
            review_items=review_items,
        )

    def _matchable_lists(
        self, lists: Collection[str] | None, principal: Principal
    ) -> tuple[dict[int, HashList], Collection[str] | None, dict[int, ListSettings]]:
        """The lists a match by ``principal`` runs against: the visible ones named by ``lists``
        (a typo or an invisible name raises ListNotFound), plus every visible allow list.
        Also the list names to give the matcher (None: all) and the sharing settings."""
        self.matcher.refresh()
        known = self.matcher.lists()
        sharing = self.sharing.all_settings()
        if lists is not None:
            by_name = {hash_list.name: hash_list for hash_list in known.values()}
            for name in lists:
                found = by_name.get(name)
                if found is None:
                    found = self.store.get_list(name)  # raises ListNotFound for a typo
                if not access.can_read(principal, sharing.get(found.id, ListSettings(found.id))):
                    raise ListNotFound(f"no list named {name!r}", list=name)
        candidates = {
            list_id: hash_list
            for list_id, hash_list in known.items()
            if access.can_read(principal, sharing.get(list_id, ListSettings(list_id)))
            and (lists is None or hash_list.name in lists or hash_list.action is ListAction.ALLOW)
        }
        names: Collection[str] | None = (
            None
            if lists is None and len(candidates) == len(known)
            else {hash_list.name for hash_list in candidates.values()}
        )
        return candidates, names, sharing

    def _queue_near_misses(
        self,
        digests: Sequence[Digest],
        candidates: dict[int, HashList],
        sharing: dict[int, ListSettings],
        matches: Sequence[Match],
        principal: Principal,
    ) -> list[int]:
        items = find_near_misses(
            self.matcher,
            self.store,
            digests,
            candidates,
            sharing,
            matched_lists={match.list_id for match in matches},
            platform=principal.name,
            organisation=principal.organisation,
        )
        if not items:
            return []
        with self.store.transaction():
            return self.store.record_near_misses(items)

    def lookup(
        self,
        digests: Sequence[Digest],
        lists: Collection[str] | None = None,
        *,
        principal: Principal = LOCAL_OPERATOR,
        labels: Sequence[str] | None = None,
    ) -> list[MatchResult]:
        """Hash-only matching: one result per digest, in order, from one batched index query,
        under the same visibility, label and allow-list policy as media matching."""
        label_filter = LabelFilter.parse(labels)
        _candidates, names, _sharing = self._matchable_lists(lists, principal)
        results: list[MatchResult] = []
        for raw in self.matcher.match_many(digests, names):
            outcome = apply_allow_lists(_labelled(raw, label_filter))
            results.append(
                MatchResult(
                    outcome.matches, allowed_by=outcome.allowed_by, suppressed=outcome.suppressed
                )
            )
        return results

    def match_bytes(
        self,
        data: bytes,
        lists: Collection[str] | None = None,
        *,
        principal: Principal = LOCAL_OPERATOR,
        labels: Sequence[str] | None = None,
    ) -> MatchResult:
        """Match an image or a video: its hashes, and the frames of known videos (a still of
        a known video, or a video against known videos and images), under one policy."""
        if sniff_video(data) is not None:
            hashes = self.hash_video_bytes(data, reference=False)  # query sampling
            image = None
        else:
            image = self.decode(data)
            hashes = self._hash_image(image, data)
        video = hashes.video

        def more_stages(raw: list[Match], names: Collection[str] | None) -> list[Match]:
            if video is not None:
                return raw + self.video_matcher.match_video(video.frames, names)
            assert image is not None
            if self.settings.robust_matching:  # edited copies: variants, then keypoints
                raw = self.robust.match(image, hashes.digests, raw, names)
            return raw + self._match_image_in_videos(image, names)

        return self.screen_digests(
            hashes.digests,
            lists,
            principal=principal,
            labels=labels,
            hashes=hashes,
            more_matches=more_stages,
        )

    def _match_image_in_videos(
        self, image: PreparedImage, lists: Collection[str] | None
    ) -> list[Match]:
        videos = self.video_matcher
        videos.refresh()
        if not videos.frame_count:
            return []  # no known videos: skip the second look at the pixels
        return videos.match_image(probe_image(image.rgb_array), lists)

    def match_file(
        self,
        path: Path,
        lists: Collection[str] | None = None,
        *,
        principal: Principal = LOCAL_OPERATOR,
        labels: Sequence[str] | None = None,
    ) -> MatchResult:
        return self.match_bytes(self.read_file(path), lists, principal=principal, labels=labels)

    # --- entries ------------------------------------------------------------------------

    def get_entry(self, entry_id: int, principal: Principal = LOCAL_OPERATOR) -> Entry:
        """An entry; one on a list the principal cannot see is reported as not found."""
        entry = self.store.get_entry(entry_id)
        if not access.can_read(principal, self.store.list_settings(entry.list_id)):
            raise EntryNotFound(f"no entry with id {entry_id}", entry_id=entry_id)
        return entry

    def retire_entry(
        self,
        entry_id: int,
        reason: str,
        retired_by: str | None = None,
        *,
        principal: Principal = LOCAL_OPERATOR,
    ) -> Entry:
        with self.store.transaction():
            entry = self.get_entry(entry_id, principal)
            self.check_entry_write(principal, entry)
            if retired_by is None and principal is not LOCAL_OPERATOR:
                retired_by = principal.name
            retired = self.store.retire_entry(entry_id, reason, retired_by)
            self.store.record_audit(
                audit_actor(principal, retired_by),
                "entry.retire",
                "entry",
                str(entry_id),
                before=entry.to_dict(),
                after=retired.to_dict(),
            )
        return retired

    def update_entry(
        self,
        entry_id: int,
        *,
        label: str | None = None,
        note: str | None = None,
        principal: Principal = LOCAL_OPERATOR,
    ) -> Entry:
        """Relabel an entry or change its note; matches explain it with the new text at once."""
        with self.store.transaction():
            before = self.get_entry(entry_id, principal)
            self.check_entry_write(principal, before)
            updated = self.store.update_entry(entry_id, label=label, note=note)
            self.store.record_audit(
                actor(principal),
                "entry.update",
                "entry",
                str(entry_id),
                before=before.to_dict(),
                after=updated.to_dict(),
            )
        return updated

    # --- bulk rescans -------------------------------------------------------------------

    def start_rescan(self, request: RescanRequest) -> Rescan:
        """A new, checkpointed scan job over folders, files and manifests (see hashdb.rescan)."""
        from hashdb.rescan.job import Rescan

        return Rescan.start(self, request)

    def resume_rescan(self, job_id: int) -> Rescan:
        """Continue a scan job after a crash or Ctrl-C from its last checkpoint."""
        from hashdb.rescan.job import Rescan

        return Rescan.resume(self, job_id)

    def rematch(self, since: datetime, lists: Collection[str] | None = None) -> RematchReport:
        """Match entries added since ``since`` against stored media hashes, decoding nothing."""
        from hashdb.rescan.rematch import rematch

        return rematch(self, since, lists)

    def search_entries(
        self, query: EntryQuery, principal: Principal = LOCAL_OPERATOR
    ) -> list[Entry]:
        """Entries matching ``query`` on the lists ``principal`` can see."""
        if principal.organisation is not None:
            visible = frozenset(hash_list.id for hash_list in self.lists(principal))
            query = replace(query, list_ids=visible)
        return self.store.search_entries(query)

    # --- audit --------------------------------------------------------------------------

    def audit(
        self,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AuditRecord]:
        return self.store.audit_records(
            target_type=target_type, target_id=target_id, since=since, limit=limit
        )

    # --- checks every area shares -------------------------------------------------------

    def writable_list(self, name: str, principal: Principal, *, create: bool) -> HashList:
        """The list entries are about to be written to (created if allowed), access-checked."""
        try:
            hash_list = self.get_list(name, principal)
        except ListNotFound:
            if not create:
                raise
            try:
                self.store.get_list(name)
            except ListNotFound:
                return self.create_list(NewList(name=name), principal)
            raise  # exists but invisible: never create a second list of that name
        access.check_write(principal, hash_list, self.store.list_settings(hash_list.id))
        return hash_list

    def check_entry_write(self, principal: Principal, entry: Entry) -> None:
        """Raise Forbidden unless ``principal`` may change entries on ``entry``'s list."""
        access.check_write(
            principal, self.store.get_list(entry.list_name), self.store.list_settings(entry.list_id)
        )


def _labelled(matches: list[Match], label_filter: LabelFilter | None) -> list[Match]:
    """The matches a label filter keeps; allow-list hits always stay, so they still suppress."""
    if label_filter is None:
        return matches
    return [m for m in matches if m.action is ListAction.ALLOW or label_filter.accepts(m.labels)]
