"""Running a coroutine to its end from a synchronous test.

``asyncio.run`` refuses to start in a thread whose event loop is running, and Playwright's
synchronous API (the console's browser tests) keeps one running in the main thread for as
long as its browser is open: a test that a pytest-xdist worker runs after them would fail
there. A thread of its own has no running loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` on a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
