"""Reading an uploaded file within the configured size limit."""

from __future__ import annotations

from fastapi import UploadFile

from hashdb.errors import EmptyMedia
from hashdb.service import HashDB


def read_upload(service: HashDB, file: UploadFile) -> bytes:
    head = file.file.read(64)
    limit = service.media.upload_limit(head)  # videos have their own, larger limit
    data = head + file.file.read(limit + 1 - len(head))
    service.media.check_upload_size(len(data), limit)
    if not data:
        raise EmptyMedia("the upload is empty (0 bytes)")
    return data
