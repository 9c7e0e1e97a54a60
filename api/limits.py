"""How large a request body each route takes, decided from its method and path before a byte
of the body is read (``api.middleware`` refuses a larger ``Content-Length`` at once, and stops
reading a body sent without one as soon as it passes the limit)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hashdb.settings import Settings

#: Multipart framing and form fields on top of the file itself.
BODY_SLACK = 64 * 1024

#: Routes that take an uploaded image or video (the media's own limit is applied once its
#: kind is known: ``HASHDB_MAX_UPLOAD_BYTES`` for an image).
_MEDIA = re.compile(r"^/(v1/match|v1/lists/[^/]+/media|console/match|console/add)$")
_IMPORT = re.compile(r"^/v1/import$")


@dataclass(frozen=True, slots=True)
class BodyLimits:
    json: int
    media: int
    imports: int

    @classmethod
    def of(cls, settings: Settings) -> BodyLimits:
        return cls(
            json=settings.max_json_bytes,
            media=max(settings.max_upload_bytes, settings.video_max_bytes) + BODY_SLACK,
            imports=settings.max_import_bytes + BODY_SLACK,
        )

    def for_request(self, method: str, path: str) -> int:
        """The most bytes of body this request may send."""
        if method == "POST":
            if _MEDIA.match(path):
                return self.media
            if _IMPORT.match(path):
                return self.imports
        return self.json
