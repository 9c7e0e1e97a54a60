"""One function per user action. The API and the CLI are thin faces over :class:`HashDB`."""

from __future__ import annotations

from hashdb.service.core import HashDB
from hashdb.service.results import (
    AddedHash,
    AddReport,
    EntryFeedback,
    EntryMetadata,
    Refusal,
    ReviewOutcome,
)

__all__ = [
    "AddReport",
    "AddedHash",
    "EntryFeedback",
    "EntryMetadata",
    "HashDB",
    "Refusal",
    "ReviewOutcome",
]
