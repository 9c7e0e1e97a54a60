"""Reading an uploaded file within the configured size limit."""

from __future__ import annotations

from fastapi import UploadFile

from hashdb.errors import EmptyMedia
from hashdb.service import HashDB


def read_upload(service: HashDB, file: UploadFile) -> bytes:
    head = file.file.read(64)
    limit = service.media.upload_limit(head)  # videos have their own, larger limit
    # Read again from the start rather than join head and rest: one copy fewer, and none
    # at all from the in-memory upload of api.upload_route (BytesIO hands back its bytes).
    file.file.seek(0)
    data = file.file.read(limit + 1)
    service.media.check_upload_size(len(data), limit)
    if not data:
        raise EmptyMedia("the upload is empty (0 bytes)")
    return data
