"""Work that must not wait on a database can say so: a store access then raises
:class:`ReadRefused` at once, before any connection is taken, instead of waiting.

The API answers a small lookup on its event loop when it can do so without waiting (on
PostgreSQL: when every entry that explains a match is already in the worker's cache); when
the lookup would have to read, it is refused here and asked again from a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_REFUSED: ContextVar[bool] = ContextVar("hashdb_store_access_refused", default=False)


class ReadRefused(Exception):
    """The store was asked for something while :func:`without_store_access` was in force."""


@contextmanager
def without_store_access() -> Iterator[None]:
    token = _REFUSED.set(True)
    try:
        yield
    finally:
        _REFUSED.reset(token)


def check_store_access() -> None:
    if _REFUSED.get():
        raise ReadRefused("this work may not wait on the database")
