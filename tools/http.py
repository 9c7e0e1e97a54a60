"""uvicorn's h11 protocol with a deadline for a request's headers.

uvicorn times out an idle kept-alive connection, but not one that is sending its headers: a
client that sends a few bytes and then nothing (or one byte a second) holds a connection, and
enough of them hold every one. Here the headers of each request must be complete within
``HASHDB_HTTP_HEADER_TIMEOUT`` seconds of the connection opening (or of the previous answer);
otherwise the connection is closed. Bodies are bounded by the routes' size limits; a reverse
proxy in front (docs/operations.md) also bounds how slowly they may arrive.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from hashdb.settings import Settings


@cache
def header_timeout() -> float:
    """Read once per worker process, from the ``HASHDB_`` variables ``hashdb serve`` set."""
    return Settings().http_header_timeout


class HeaderDeadlineH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._expect_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _expect_headers(self) -> None:
        self._cancel_deadline()
        if not self.transport.is_closing():
            self._header_deadline = self.loop.call_later(header_timeout(), self._headers_late)

    def _cancel_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        # IDLE: no complete request line and headers yet (after them h11 moves on).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
