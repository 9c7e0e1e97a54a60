"""A budget of pixels decoded at once in this process, so concurrent decodes bound memory.

An image is decoded at full size before it is reduced (a PNG cannot be decoded smaller), and
a full-size decode takes about four bytes a pixel: four 80-megapixel PNGs decoded at once
would hold 1.3 GB. Each decode first takes its pixels from the process's budget and gives them
back once the large pixels are gone; decodes that do not fit wait for the ones running. An
image larger than the whole budget (still within ``max_pixels``) waits until it runs alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

#: Pixels decoded at once by default: about 0.4 GB of decode buffers.
DEFAULT_PIXEL_BUDGET = 100_000_000


class PixelBudget:
    def __init__(self, total: int) -> None:
        self.total = total
        self.in_use = 0
        #: The most pixels ever held at once (tests and metrics read it).
        self.peak = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        """Hold ``pixels`` of the budget (all of it at most) while the block runs."""
        wanted = max(1, min(pixels, self.total))
        with self._changed:
            self._changed.wait_for(lambda: self.in_use + wanted <= self.total)
            self.in_use += wanted
            self.peak = max(self.peak, self.in_use)
        try:
            yield
        finally:
            with self._changed:
                self.in_use -= wanted
                self._changed.notify_all()


@cache
def budget(total: int) -> PixelBudget:
    """The process's budget of ``total`` pixels (one per value: every decoder of a process
    configured alike shares it)."""
    return PixelBudget(total)
