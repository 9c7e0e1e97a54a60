"""One function per user action. The API and the CLI are thin faces over :class:`HashDB`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hashdb.service.results import (
    AddedHash,
    AddReport,
    EntryFeedback,
    EntryMetadata,
    Refusal,
    ReviewOutcome,
)

if TYPE_CHECKING:
    from hashdb.service.core import HashDB


def __getattr__(name: str) -> Any:
    # The service pulls in the store, the index and the media libraries: load it on first use
    # so that the command line's help and light commands start fast.
    if name == "HashDB":
        from hashdb.service.core import HashDB

        return HashDB
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AddReport",
    "AddedHash",
    "EntryFeedback",
    "EntryMetadata",
    "HashDB",
    "Refusal",
    "ReviewOutcome",
]
