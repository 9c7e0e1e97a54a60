"""One function per user action. The API and the CLI are thin faces over :class:`HashDB`."""

from __future__ import annotations

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
from hashdb.robust.matcher import RobustMatcher, RobustPolicy
from hashdb.robust.reference import MIN_ANCHOR_KEYPOINTS, reference_data, reference_keypoints
from hashdb.settings import Settings
from hashdb.store import Entry, HashList, NewEntry, NewList, Store, open_store


@dataclass(frozen=True)
class MediaHashes:
    """Every hash of one piece of media, plus what was learnt decoding it."""

    digests: list[Digest]
    format: str
    width: int
    height: int
    size_bytes: int

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
        return {
            "hashes": body,
            "media": {
                "format": self.format,
                "width": self.width,
                "height": self.height,
                "bytes": self.size_bytes,
            },
        }


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
    def robust(self) -> RobustMatcher:
        if self._robust is None:
            policy = RobustPolicy(
                min_query_quality=self.settings.robust_min_query_quality,
                candidate_distance=self.settings.robust_candidate_distance,
                max_candidates=self.settings.robust_max_candidates,
                hash_only_distance=self.settings.robust_hash_only_distance,
                stop_at_plain_match=not self.settings.robust_exhaustive,
            )
            self._robust = RobustMatcher(
                self.store, self.matcher, policy, self.settings.refresh_interval
            )
        return self._robust

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

    def read_file(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            if size > self.settings.max_upload_bytes:
                raise MediaTooLarge(
                    f"{size} bytes is over the limit of {self.settings.max_upload_bytes}",
                    bytes=size,
                )
            return path.read_bytes()
        except FileNotFoundError:
            raise FileNotReadable("no such file") from None
        except IsADirectoryError:
            raise FileNotReadable("is a directory") from None
        except PermissionError:
            raise FileNotReadable("permission denied") from None
        except OSError as exc:
            raise FileNotReadable(f"cannot read the file: {exc.strerror or exc}") from None

    def check_upload_size(self, size: int) -> None:
        if size > self.settings.max_upload_bytes:
            raise UploadTooLarge(
                f"upload of {size} bytes is over the limit of {self.settings.max_upload_bytes}",
                limit=self.settings.max_upload_bytes,
            )

    def decode(self, data: bytes) -> PreparedImage:
        return decode_image(data, self.decode_options)

    def hash_bytes(self, data: bytes, algorithms: Sequence[str] | None = None) -> MediaHashes:
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
        image = self.decode(data)
        hashes = self._hash_image(image, data)
        matches = self.match_digests(hashes.digests, lists)
        if self.settings.robust_matching:
            matches = self.robust.match(image, hashes.digests, matches, lists)
        return MatchResult(matches, hashes)

    def match_file(self, path: Path, lists: Collection[str] | None = None) -> MatchResult:
        return self.match_bytes(self.read_file(path), lists)

    # --- entries ------------------------------------------------------------------------

    def get_entry(self, entry_id: int) -> Entry:
        return self.store.get_entry(entry_id)

    def retire_entry(self, entry_id: int, reason: str, retired_by: str | None = None) -> Entry:
        return self.store.retire_entry(entry_id, reason, retired_by)
