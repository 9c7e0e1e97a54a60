"""What the service's actions return, and the metadata an add takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hashdb.store.models import Feedback, FeedbackCounts, ReviewItem


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
    #: The item the hash belongs to: the media's one item, or the raw hash's own.
    item_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "hash": self.hash,
            "entry_id": self.entry_id,
            "item_id": self.item_id,
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

    @property
    def item_ids(self) -> list[int]:
        """The items the hashes belong to, in id order."""
        return sorted({added.item_id for added in self.added if added.item_id})

    @property
    def item_id(self) -> int | None:
        """The item of media added (its hashes' one item); None when nothing was added."""
        return next((added.item_id for added in self.added if added.item_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "created": self.created,
            "existing": len(self.added) - self.created,
            "item_ids": self.item_ids,
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
