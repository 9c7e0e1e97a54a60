"""What the service's actions return, and the metadata an add takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hashdb.hashing import Digest
from hashdb.matching.indexes import Match
from hashdb.matching.policy import Suppressed
from hashdb.media.video import HashedVideo
from hashdb.store.models import VIDEO_ALGORITHM, Feedback, FeedbackCounts, ReviewItem, fingerprint


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
    #: Allow-list matches that suppressed every other match of this media.
    allowed_by: list[Match] = field(default_factory=list)
    #: The matches the allow entries overruled, each naming them.
    suppressed: list[Suppressed] = field(default_factory=list)
    #: Review-queue items this query recorded or counted again (near-misses).
    review_items: list[int] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "matched": self.matched,
            "matches": [match.to_dict() for match in self.matches],
            "allowed": bool(self.allowed_by),
            "allowed_by": [match.to_dict() for match in self.allowed_by],
            "suppressed": [suppressed.to_dict() for suppressed in self.suppressed],
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
    #: Where the media came from: a URL or a case reference.
    source: str | None = None
    #: Controlled-vocabulary labels (``facet:value``), checked against the vocabulary.
    labels: tuple[str, ...] = ()
    #: The adding organisation; defaults to the principal's. Only the operator may name one.
    organisation: str | None = None


@dataclass(frozen=True)
class EntryFeedback:
    entry_id: int
    counts: FeedbackCounts
    items: list[Feedback]

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            **self.counts.to_dict(),
            "feedback": [item.to_dict() for item in self.items],
        }


@dataclass(frozen=True)
class ReviewOutcome:
    item: ReviewItem
    report: AddReport | None = None

    def to_dict(self) -> dict[str, Any]:
        body = self.item.to_dict()
        if self.report is not None:
            body["added"] = self.report.to_dict()
        return body
