"""Which decoded frames are kept for hashing, and whether a stream's keyframes are enough."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hashdb.media.video.options import SamplingMode


class Sampler:
    """Keeps every keyframe, and other frames so that at most ``fps`` are kept a second
    (``fps`` <= 0 keeps every frame). In keyframes mode every frame decoded is kept: only
    keyframes are decoded."""

    def __init__(self, mode: SamplingMode, fps: float) -> None:
        self.mode = mode
        self.step = 1.0 / fps if fps > 0 else 0.0
        self._next = 0.0

    def keep(self, timestamp: float, *, key_frame: bool) -> bool:
        if self.mode is SamplingMode.KEYFRAMES:
            return True
        if not (key_frame or self.step == 0.0 or timestamp >= self._next - 1e-6):
            return False
        if self.step:
            # The next sample is one step on, but never sooner than half a step after this
            # frame (a keyframe just before a sample time does not double the rate).
            self._next = max(self._next + self.step, timestamp + self.step * 0.5)
        return True


def largest_keyframe_gap(keyframe_times: Sequence[float], end: float) -> float:
    """The longest stretch of the stream without a keyframe, counting from the start and up
    to ``end``; infinite without keyframes."""
    if not keyframe_times:
        return float("inf")
    times = [0.0, *sorted(keyframe_times), max(end, max(keyframe_times))]
    return max(b - a for a, b in itertools.pairwise(times))
