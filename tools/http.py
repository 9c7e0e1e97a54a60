"""uvicorn's httptools protocol with a deadline and a size limit for a request's headers.

httptools parses HTTP in C (llhttp), which costs a request less than uvicorn's pure-Python
h11 protocol: about a sixth of a one-hash lookup's server time goes to parsing the request
and writing the answer in h11. Two guards h11 had, or uvicorn gives only with h11, are kept
here:

- uvicorn times out an idle kept-alive connection, but not one that is sending its headers: a
  client that sends a few bytes and then nothing (or one byte a second) holds a connection,
  and enough of them hold every one. Here the headers of each request must be complete within
  ``HASHDB_HTTP_HEADER_TIMEOUT`` seconds of the connection opening (or of the previous
  answer); otherwise the connection is closed.
- llhttp puts no bound on the size of the request line and headers: here a request whose
  headers are not complete after ``HASHDB_HTTP_MAX_HEADER_BYTES`` is answered 431 and the
  connection closed.

Bodies are bounded by the routes' size limits; a reverse proxy in front (docs/operations.md)
also bounds how slowly they may arrive.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hashdb.settings import Settings

_TOO_LARGE = b"request line and headers too large\n"


@cache
def _limits() -> tuple[float, int]:
    """Read once per worker process, from the ``HASHDB_`` variables ``hashdb serve`` set."""
    settings = Settings()
    return settings.http_header_timeout, settings.http_max_header_bytes


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._in_headers = False  # a request has begun and its headers are not complete
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_headers or self.transport.is_closing():
            return
        # Everything in a chunk after which the headers are still incomplete is headers.
        self._header_bytes += len(data)
        if self._header_bytes > _limits()[1]:
            self._refuse_headers()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._header_bytes = 0
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._expect_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _expect_headers(self) -> None:
        self._cancel_deadline()
        if not self.transport.is_closing():
            self._header_deadline = self.loop.call_later(_limits()[0], self._headers_late)

    def _cancel_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        # Waiting for a request's headers: one has begun, or none is being served (an idle
        # connection, as h11's IDLE state was); a request whose headers are complete (its
        # body arriving, or its answer being computed) is left alone.
        between_requests = (self.cycle is None or self.cycle.response_complete) and not (
            self.pipeline
        )
        if self._in_headers or between_requests:
            self.transport.close()

    def _refuse_headers(self) -> None:
        self._cancel_deadline()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(_TOO_LARGE)).encode("ascii") + b"\r\n"
            b"connection: close\r\n\r\n" + _TOO_LARGE
        )
        self.transport.close()
