"""``UploadRoute``: a one-file upload answered without FastAPI's general form handling.

FastAPI reads a form through Starlette, which feeds the body chunk by chunk through
python-multipart into a spooled temporary file per file part (awaiting each write), then
solves the route's dependency tree, builds error contexts and records telemetry: for a
1080p JPEG, 0.3 of the 1.3 ms of CPU the event loop spent on the upload (in process,
docs/performance.md). The match route is of one shape: a single file field, dependencies
that take only the request (``api.deps``), query values, and an endpoint that returns a
``Response``.

This route reads a body of that plain case (one file part, a ``Content-Length`` within
``IN_MEMORY``) into bytes once, parses it with the same python-multipart parser in one call,
and hands the endpoint an ``UploadFile`` over those bytes. The query values and the form are
validated by FastAPI's own functions. Every other request, and every request that would
fail validation, is answered by FastAPI's own handler of the same route: with the body
already read it parses it again, so answers, errors and their order stay FastAPI's. The
dependencies run in FastAPI's order (after the body is parsed, before its values are
validated): a 403 comes before a 422, a 400 for a malformed body before a 403.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response, UploadFile
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.params import File
from fastapi.routing import APIRoute
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException

from api.routing import Handler, is_async, request_only

#: Bodies up to this size are read into memory; larger ones (videos) are spooled to a
#: temporary file by FastAPI's own handler, as before.
IN_MEMORY = 16 * 1024 * 1024


class UploadRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        dependant = self.dependant
        call = dependant.call
        body_fields = dependant.body_params
        if call is None or dependant.path_params or dependant.header_params:
            raise TypeError(f"{self.path}: an upload route takes no path or header values")
        if dependant.cookie_params or len(body_fields) != 1:
            raise TypeError(f"{self.path}: an upload route takes one file field")
        if not isinstance(body_fields[0].field_info, File):
            raise TypeError(f"{self.path}: an upload route takes one file field")
        embed = self._embed_body_fields
        dependencies = [request_only(self.path, sub) for sub in dependant.dependencies]
        query_fields = dependant.query_params
        request_name = dependant.request_param_name
        awaited = is_async(call)

        async def handle(request: Request) -> Response:
            upload = await _one_file(request)
            if upload is None:
                return await general(request)
            values: dict[str, Any] = {}
            for name, solve in dependencies:
                values[name] = await solve(request)
            query, errors = request_params_to_args(query_fields, request.query_params)
            if errors:
                return await general(request)  # the same dependencies, then FastAPI's 422
            values.update(query)
            form, errors = await request_body_to_args(
                body_fields=body_fields, received_body=upload, embed_body_fields=embed
            )
            if errors:
                return await general(request)
            values.update(form)
            if request_name is not None:
                values[request_name] = request
            # A sync endpoint (decoding is CPU work) runs in the thread pool, as FastAPI runs it.
            answer = await call(**values) if awaited else await run_in_threadpool(call, **values)
            if not isinstance(answer, Response):
                raise TypeError(f"{self.path}: an upload route's endpoint must return a Response")
            return answer

        return handle


async def _one_file(request: Request) -> FormData | None:
    """The form of a multipart body that holds one file part and nothing else, or None for
    any other body (left to FastAPI). A body that may be one is read with ``request.body()``,
    which keeps it for FastAPI's handler; a body that cannot be read is FastAPI's 400."""
    length = request.headers.get("content-length")
    content_type = request.headers.get("content-type")
    if not (length and length.isdigit() and int(length) <= IN_MEMORY and content_type):
        return None
    media, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    # A charset would change how the field's name is decoded: left to Starlette.
    if media != b"multipart/form-data" or not boundary or b"charset" in params:
        return None
    try:
        body = await request.body()
    except HTTPException:
        raise  # over the route's limit (api.middleware): 413
    except Exception as error:
        raise HTTPException(400, "There was an error parsing the body") from error
    parts = _Parts(body)
    try:
        parser = MultipartParser(boundary, parts.callbacks())
        parser.write(body)
        parser.finalize()
    except FormParserError:
        return None
    if not parts.ended or len(parts.parts) != 1:
        return None
    part = parts.parts[0]
    _, options = parse_options_header(part.disposition)
    if b"name" not in options or b"filename" not in options:
        return None
    data = body[part.start : part.end] if part.start >= 0 else b""
    upload = UploadFile(
        io.BytesIO(data),
        size=len(data),
        filename=_decode(options[b"filename"]),
        headers=Headers(raw=part.headers),
    )
    return FormData([(_decode(options[b"name"]), upload)])


def _decode(value: bytes) -> str:
    """A form value's text as Starlette decodes it without a charset."""
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


@dataclass
class _Part:
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    disposition: bytes = b""
    start: int = -1  # the data's span in the body: one slice, not a copy per callback
    end: int = -1


@dataclass
class _Parts:
    """python-multipart's callbacks, collecting the parts as Starlette's parser does."""

    body: bytes
    parts: list[_Part] = field(default_factory=list)
    name: bytes = b""
    value: bytes = b""
    ended: bool = False

    def callbacks(self) -> Any:
        return {
            "on_part_begin": lambda: self.parts.append(_Part()),
            "on_part_data": self.on_part_data,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_end": self.on_end,
        }

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.parts[-1]
        if data is not self.body:
            raise _Split  # held back across writes: not a span of the body
        if part.start < 0:
            part.start = start
        elif part.end != start:
            raise _Split  # not one contiguous span of the body: left to Starlette
        part.end = end

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        name = self.name.lower()
        if name == b"content-disposition":
            self.parts[-1].disposition = self.value
        self.parts[-1].headers.append((name, self.value))
        self.name = self.value = b""

    def on_end(self) -> None:
        self.ended = True


class _Split(FormParserError):
    pass
