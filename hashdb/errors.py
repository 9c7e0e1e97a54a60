"""The one exception hierarchy of hashdb.

Every error a user can cause is a subclass of :class:`HashDBError` with a stable ``code``.
The API maps ``http_status`` to an RFC 9457 problem response and the CLI maps ``exit_code``
to its process exit status, each in one place, so a new error needs no edits there.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HashDBError(Exception):
    """Base of every error hashdb raises on purpose."""

    code: ClassVar[str] = "hashdb_error"
    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class UsageError(HashDBError):
    code = "usage_error"
    http_status = 400
    exit_code = 2


class Unauthorized(HashDBError):
    code = "unauthorized"
    http_status = 401


class Forbidden(HashDBError):
    code = "forbidden"
    http_status = 403


class ConfigError(UsageError):
    code = "config_error"


# --- hashes -------------------------------------------------------------------------------


class InvalidHash(HashDBError):
    """A hash value that is not valid for its algorithm (wrong length, not hex)."""

    code = "invalid_hash"
    http_status = 422


class UnknownAlgorithm(InvalidHash):
    code = "unknown_algorithm"


class DegenerateHash(InvalidHash):
    """All-zero / all-one hashes: they come from blank images and would match far too much."""

    code = "degenerate_hash"


class LowQualityHash(InvalidHash):
    """A PDQ hash whose quality score is below the list's minimum."""

    code = "low_quality"


# --- media --------------------------------------------------------------------------------


class MediaError(HashDBError):
    """Media that cannot be decoded into something hashable."""

    code = "unreadable_media"
    http_status = 422


class UnsupportedMedia(MediaError):
    code = "unsupported_media"
    http_status = 415


class CorruptMedia(MediaError):
    code = "corrupt_media"


class EmptyMedia(MediaError):
    code = "empty_media"


class MediaTooLarge(MediaError):
    """Too many pixels (a decompression bomb) or too many bytes."""

    code = "media_too_large"


class VideoTooLong(MediaTooLarge):
    """A video longer than ``HASHDB_VIDEO_MAX_DURATION`` seconds."""

    code = "video_too_long"


class MediaTooSmall(MediaError):
    code = "media_too_small"


class UploadTooLarge(MediaError):
    code = "upload_too_large"
    http_status = 413


class FileNotReadable(MediaError):
    code = "file_not_readable"


# --- storage ------------------------------------------------------------------------------


class NotFound(HashDBError):
    code = "not_found"
    http_status = 404


class ListNotFound(NotFound):
    """A list that does not exist or that the caller cannot see. On the command line a
    mistyped list name is a usage error (exit 2), whichever command it was given to."""

    code = "list_not_found"
    exit_code = 2

    @classmethod
    def named(cls, name: str) -> ListNotFound:
        """The one answer about a list that does not exist or that the caller cannot see:
        the two must not be told apart."""
        return cls(f"no list named {name!r}", list=name)


class EntryNotFound(NotFound):
    code = "entry_not_found"


class ItemNotFound(NotFound):
    code = "item_not_found"


class KeyNotFound(NotFound):
    code = "key_not_found"


class Conflict(HashDBError):
    code = "conflict"
    http_status = 409


class ListNameTaken(Conflict):
    """Creating a list under a name in use. List names are one namespace for the whole
    deployment, so this is the answer whether the caller can see that list or not; it names
    neither the owner nor the sharing."""

    @classmethod
    def named(cls, name: str) -> ListNameTaken:
        return cls(f"a list named {name!r} already exists", list=name)


class InvalidValue(HashDBError):
    """A field value outside what the store accepts (e.g. an unknown list action)."""

    code = "invalid_value"
    http_status = 422


class StoreUnavailable(HashDBError):
    code = "store_unavailable"
    http_status = 503
    exit_code = 3


class SchemaTooNew(StoreUnavailable):
    code = "schema_too_new"


class AddressInUse(HashDBError):
    """``hashdb serve`` cannot listen: another process holds the address and port."""

    code = "address_in_use"
    exit_code = 4


# --- bulk import ------------------------------------------------------------------


class ImportRejected(HashDBError):
    """A bulk import with bad rows (or an unreadable file): nothing was written."""

    code = "import_rejected"
    http_status = 422


# --- organisations, labels, review queue ---------------------------------------


class OrganisationNotFound(NotFound):
    code = "organisation_not_found"


class InvalidLabel(InvalidValue):
    """A label that is malformed or not in the deployment's vocabulary."""

    code = "invalid_label"


class ReviewItemNotFound(NotFound):
    code = "review_item_not_found"


class ThumbnailNotFound(NotFound):
    code = "thumbnail_not_found"


# --- bulk rescans ----------------------------------------------------------------


class UnsupportedSource(MediaError):
    """A manifest line naming a location hashdb cannot read (a URI scheme other than file)."""

    code = "unsupported_source"


class ScanJobNotFound(NotFound):
    code = "scan_job_not_found"


class ScanJobBusy(Conflict):
    """The scan job is being run by a live process; two runners would report files twice."""

    code = "scan_job_running"


class ScanInterrupted(HashDBError):
    """Ctrl-C (or SIGTERM) stopped a rescan; it is checkpointed and can be resumed."""

    code = "interrupted"
    exit_code = 130
