"""Lists and what decides how they match and who sees them: actions, thresholds, sharing,
owners, video rules. Domain rules live here, beside the records; SQL modules only store them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hashdb.errors import InvalidValue
from hashdb.hashing import ALGORITHMS, get_algorithm
from hashdb.store.models.text import check_list_name, check_text


class ListAction(enum.StrEnum):
    """What a platform should do with media matching a list."""

    BLOCK = "block"
    REVIEW = "review"
    LOG = "log"
    #: Known false positives (news footage, counter-speech): media matching an entry here is
    #: never reported as matching any other list (``hashdb.matching.policy``).
    ALLOW = "allow"


class MatchingMode(enum.StrEnum):
    """Which stages may match on a list: what its owners accept as proof (docs/robustness.md).

    Each mode allows what the one before it does, and more.
    """

    #: Only cryptographic digests (MD5, SHA-256): the very same bytes.
    EXACT = "exact"
    #: Digests and perceptual hashes within the list's thresholds (PDQ, pHash, dHash, video
    #: frame hashes); never an edited variant of the upload nor the geometric check.
    HASH = "hash"
    #: Everything, including edited copies confirmed by keypoints and aligned content.
    ROBUST = "robust"

    def allows(self, needed: MatchingMode) -> bool:
        """Whether a match that needs ``needed`` counts on a list in this mode."""
        return _MODE_ORDER.index(needed) <= _MODE_ORDER.index(self)


_MODE_ORDER = (MatchingMode.EXACT, MatchingMode.HASH, MatchingMode.ROBUST)


@dataclass(frozen=True, slots=True)
class HashList:
    id: int
    name: str
    description: str
    action: ListAction
    #: Algorithm name -> inclusive Hamming threshold. Only these algorithms match on this list.
    thresholds: dict[str, int]
    created_at: datetime
    updated_at: datetime
    matching_mode: MatchingMode = MatchingMode.ROBUST

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "action": self.action.value,
            "thresholds": dict(self.thresholds),
            "matching_mode": self.matching_mode.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NewList:
    name: str
    description: str = ""
    action: ListAction = ListAction.BLOCK
    #: None means the defaults of every algorithm enabled by default.
    thresholds: dict[str, int] | None = None
    matching_mode: MatchingMode = MatchingMode.ROBUST

    def __post_init__(self) -> None:
        check_list_name(self.name)
        check_text("description", self.description, lines=True)


def default_thresholds() -> dict[str, int]:
    """The threshold of every algorithm enabled by default: a new list's thresholds."""
    return {
        name: algorithm.default_threshold
        for name, algorithm in ALGORITHMS.items()
        if algorithm.enabled_by_default
    }


def validate_thresholds(thresholds: dict[str, int]) -> dict[str, int]:
    """Thresholds by canonical algorithm name, or :class:`InvalidValue` naming the bad one."""
    checked: dict[str, int] = {}
    for name, threshold in thresholds.items():
        algorithm = get_algorithm(name)
        if algorithm.exact and threshold != 0:
            raise InvalidValue(f"{algorithm.name} is an exact hash: its threshold must be 0")
        if not 0 <= threshold <= algorithm.bits // 2:
            raise InvalidValue(
                f"threshold for {algorithm.name} must be between 0 and {algorithm.bits // 2}",
                algorithm=algorithm.name,
                threshold=threshold,
            )
        checked[algorithm.name] = int(threshold)
    return checked


class Sharing(enum.StrEnum):
    """Who besides the owner organisation may see and change a list."""

    PRIVATE = "private"  # only the owner organisation sees or matches it
    SHARED_READ = "shared-read"  # every member matches and reads it; only the owner writes
    SHARED_WRITE = "shared-write"  # every member's analysts may also add and retire


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    name: str
    description: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ListSettings:
    list_id: int
    owner: str | None = None
    sharing: Sharing = Sharing.SHARED_READ
    #: Algorithm -> radius wider than the list's threshold; hits in between are near-misses
    #: recorded in the review queue.
    review_radius: dict[str, int] = field(default_factory=dict)
    #: Media added to the list keeps a small thumbnail with its item, for the console.
    keep_thumbnails: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "sharing": self.sharing.value,
            "review_radius": dict(self.review_radius),
            "keep_thumbnails": self.keep_thumbnails,
        }


def clean_name(name: str, what: str = "an organisation") -> str:
    cleaned = check_text("name", name).strip()
    if not cleaned or len(cleaned) > 200:
        raise InvalidValue(f"{what} needs a name of 1 to 200 characters")
    return cleaned


@dataclass(frozen=True, slots=True)
class VideoRule:
    """The shares of time a video-to-video match needs on one list (0-1 each)."""

    min_query_share: float
    min_reference_share: float
