"""Reading an uploaded file within the configured size limit."""

from __future__ import annotations

from fastapi import UploadFile

from hashdb.errors import EmptyMedia
from hashdb.service import HashDB


def read_upload(service: HashDB, file: UploadFile) -> bytes:
    limit = service.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    service.check_upload_size(len(data))
    if not data:
        raise EmptyMedia("the upload is empty (0 bytes)")
    return data
