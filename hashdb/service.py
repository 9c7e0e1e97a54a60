"""One function per user action. The API and the CLI are thin faces over :class:`HashDB`."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hashdb.errors import (
    FileNotReadable,
    InvalidHash,
    MediaTooLarge,
    UploadTooLarge,
)
from hashdb.hashing import ALGORITHMS, Digest, get_algorithm
from hashdb.matching import Match, Matcher
from hashdb.media import DecodeOptions, PreparedImage, decode_image
from hashdb.media.video import (
    HashedVideo,
    SamplingMode,
    VideoOptions,
    hash_video,
    sniff_video,
    sniff_video_container,
)
from hashdb.settings import Settings
from hashdb.store import Entry, HashList, NewEntry, NewList, Store, open_store
from hashdb.store.video import VIDEO_ALGORITHM, NewVideoFrame, VideoRule
from hashdb.video_matching import VideoMatcher, fingerprint, probe_image


@dataclass(frozen=True)
class MediaHashes:
    """Every hash of one piece of media, plus what was learnt decoding it."""

    digests: list[Digest]
    format: str
    width: int
    height: int
    size_bytes: int
    #: Set for videos (and animated GIF/WebP): the sampled frames and what decoding found.
    video: HashedVideo | None = None

    def get(self, algorithm: str) -> Digest | None:
        return next((d for d in self.digests if d.algorithm == algorithm), None)

    @property
    def sha256(self) -> str | None:
        digest = self.get("sha256")
        return digest.hex if digest else None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {digest.algorithm: digest.hex for digest in self.digests}
        pdq = self.get("pdq")
        if pdq is not None:
            body["pdq_quality"] = pdq.quality
        media: dict[str, Any] = {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "bytes": self.size_bytes,
        }
        if self.video is not None:
            body[VIDEO_ALGORITHM] = fingerprint(f.value for f in self.video.frames).hex()
            media.update(
                kind="video",
                codec=self.video.codec,
                duration=self.video.duration,
                frames=len(self.video.frames),
                decoded_frames=self.video.decoded_frames,
                sampling=self.video.mode.value,
                decode_error=self.video.error,
            )
        return {"hashes": body, "media": media}

    def frames_dict(self) -> list[dict[str, Any]]:
        """The sampled frames of a video: time, PDQ, quality (``hashdb hash --frames``)."""
        frames = self.video.frames if self.video is not None else []
        return [
            {
                "index": f.index,
                "timestamp": f.timestamp,
                "duration": f.duration,
                "pdq": f.hex,
                "quality": f.quality,
            }
            for f in frames
        ]


@dataclass(frozen=True)
class MatchResult:
    matches: list[Match]
    hashes: MediaHashes | None = None

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "matched": self.matched,
            "matches": [match.to_dict() for match in self.matches],
        }
        if self.hashes is not None:
            body.update(self.hashes.to_dict())
        return body


@dataclass(frozen=True)
class Refusal:
    algorithm: str
    hash: str
    code: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "hash": self.hash,
            "code": self.code,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AddedHash:
    algorithm: str
    hash: str
    entry_id: int
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "hash": self.hash,
            "entry_id": self.entry_id,
            "created": self.created,
        }


@dataclass
class AddReport:
    list_name: str
    added: list[AddedHash] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    #: Problems that did not stop the add, e.g. a truncated video hashed up to the damage.
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for added in self.added if added.created)

    def to_dict(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "created": self.created,
            "existing": len(self.added) - self.created,
            "added": [added.to_dict() for added in self.added],
            "refused": [refusal.to_dict() for refusal in self.refused],
            **({"warnings": self.warnings} if self.warnings else {}),
        }


@dataclass(frozen=True)
class EntryMetadata:
    label: str | None = None
    note: str | None = None
    added_by: str | None = None


class HashDB:
    """The hashdb service: settings, one store and one matcher, and every user action."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store
        self._matcher: Matcher | None = None
        self._video_matcher: VideoMatcher | None = None

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

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

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
        image = self.decode(data)
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

    def lists(self) -> list[HashList]:
        return self.store.lists()

    def create_list(self, new: NewList) -> HashList:
        return self.store.create_list(new)

    def get_list(self, name: str) -> HashList:
        return self.store.get_list(name)

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
    ) -> AddReport:
        """Add hashes to a list, refusing degenerate or low-quality ones unless forced."""
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
            hash_list = (
                self.store.ensure_list(list_name) if create_list else self.store.get_list(list_name)
            )
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
                        added_by=metadata.added_by,
                    )
                    for digest in accepted
                ],
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
    ) -> AddReport:
        if sniff_video(data) is not None:
            return self.add_video(list_name, data, metadata, force=force, create_list=create_list)
        hashes = self.hash_bytes(data)
        digests = hashes.digests
        pdq = hashes.get("pdq")
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
            return report
        return self.add_digests(
            list_name,
            digests,
            metadata,
            force=force,
            source_sha256=hashes.sha256,
            create_list=create_list,
        )

    def add_video(
        self,
        list_name: str,
        data: bytes,
        metadata: EntryMetadata,
        *,
        force: bool = False,
        create_list: bool = True,
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
                hash_list = self.store.get_list(list_name)
                (outcome,) = self.store.add_entries(
                    hash_list.id,
                    [
                        NewEntry(
                            algorithm=VIDEO_ALGORITHM,
                            value=value,
                            source_sha256=hashes.sha256,
                            label=metadata.label,
                            note=metadata.note,
                            added_by=metadata.added_by,
                        )
                    ],
                )
                if outcome.created:
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
    ) -> AddReport:
        """Add raw hashes as received from a partner. Malformed values raise before any write."""
        hasher = get_algorithm(algorithm)
        digests = [hasher.parse(value) for value in values]
        return self.add_digests(list_name, digests, metadata, force=force, create_list=create_list)

    # --- matching -----------------------------------------------------------------------

    def match_digests(
        self, digests: Sequence[Digest], lists: Collection[str] | None = None
    ) -> list[Match]:
        if lists is not None:
            for name in lists:
                self.store.get_list(name)  # raises ListNotFound for a typo
        return self.matcher.match(digests, lists)

    def match_bytes(self, data: bytes, lists: Collection[str] | None = None) -> MatchResult:
        if sniff_video(data) is not None:
            hashes = self.hash_video_bytes(data, reference=False)  # query sampling
        else:
            hashes = self.hash_bytes(data)
        matches = self.match_digests(hashes.digests, lists)
        if hashes.video is not None:
            matches += self.video_matcher.match_video(hashes.video.frames, lists)
        else:
            matches += self._match_image_in_videos(data, lists)
        matches.sort(key=lambda match: (match.distance, match.list, match.entry_id))
        return MatchResult(matches, hashes)

    def _match_image_in_videos(self, data: bytes, lists: Collection[str] | None) -> list[Match]:
        videos = self.video_matcher
        videos.refresh()
        if not videos.frame_count:
            return []  # no known videos: skip the second look at the pixels
        return videos.match_image(probe_image(self.decode(data).rgb_array), lists)

    def match_file(self, path: Path, lists: Collection[str] | None = None) -> MatchResult:
        return self.match_bytes(self.read_file(path), lists)

    # --- entries ------------------------------------------------------------------------

    def get_entry(self, entry_id: int) -> Entry:
        return self.store.get_entry(entry_id)

    def retire_entry(self, entry_id: int, reason: str, retired_by: str | None = None) -> Entry:
        return self.store.retire_entry(entry_id, reason, retired_by)
