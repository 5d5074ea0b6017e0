"""Sliding windows of call outcomes for the failure-rate and slow-call-rate rules.

An outcome is a small bit set: :data:`FAILED` and :data:`SLOW` (``0`` is a fast success).
A count window is a ring buffer of the last ``size`` outcomes with running counts; a time
window is a ring of per-bucket counters over the last ``seconds``. Both record an outcome
in O(1) without allocating.
"""

from __future__ import annotations

import math

__all__ = ["FAILED", "SLOW", "CountWindow", "TimeWindow", "Window"]

#: The call counted as a failure.
FAILED = 1
#: The call took longer than the slow-call threshold.
SLOW = 2


class CountWindow:
    """The outcomes of the last ``size`` calls.

    Args:
        size: How many calls the window holds.
    """

    __slots__ = ("_pos", "_ring", "failures", "size", "slow", "total")

    def __init__(self, size: int) -> None:
        self.size = size
        self._ring = bytearray(size)
        self._pos = 0
        self.total = 0
        self.failures = 0
        self.slow = 0

    def record(self, outcome: int, now: float) -> None:
        """Record one outcome (``now`` is unused: the window counts calls, not time)."""
        del now
        pos = self._pos
        ring = self._ring
        if self.total < self.size:
            self.total += 1
        else:
            old = ring[pos]
            self.failures -= old & FAILED
            self.slow -= (old & SLOW) >> 1
        ring[pos] = outcome
        self.failures += outcome & FAILED
        self.slow += (outcome & SLOW) >> 1
        pos += 1
        self._pos = 0 if pos == self.size else pos

    def reset(self) -> None:
        """Forget every outcome."""
        self._ring = bytearray(self.size)
        self._pos = self.total = self.failures = self.slow = 0


class TimeWindow:
    """The outcomes of the calls of the last ``seconds``, in one-``bucket``-second buckets.

    Args:
        seconds: The window's length.
        bucket: The length of one bucket; outcomes older than the window drop out bucket
            by bucket.
    """

    __slots__ = (
        "_bucket",
        "_calls",
        "_epochs",
        "_fails",
        "_n",
        "_slows",
        "failures",
        "slow",
        "total",
    )

    def __init__(self, seconds: float, bucket: float = 1.0) -> None:
        self._bucket = bucket
        self._n = max(1, math.ceil(seconds / bucket))
        self._calls = [0] * self._n
        self._fails = [0] * self._n
        self._slows = [0] * self._n
        self._epochs = [-1] * self._n
        self.total = 0
        self.failures = 0
        self.slow = 0

    def record(self, outcome: int, now: float) -> None:
        """Record one outcome at time ``now``."""
        self.advance(now)
        i = int(now // self._bucket) % self._n
        self._calls[i] += 1
        self.total += 1
        if outcome & FAILED:
            self._fails[i] += 1
            self.failures += 1
        if outcome & SLOW:
            self._slows[i] += 1
            self.slow += 1

    def advance(self, now: float) -> None:
        """Drop the buckets that fell out of the window by ``now``."""
        epoch = int(now // self._bucket)
        i = epoch % self._n
        if self._epochs[i] == epoch:
            return
        for j in range(self._n):
            stamp = self._epochs[j]
            if stamp != -1 and epoch - stamp >= self._n:
                self._drop(j)
                self._epochs[j] = -1
        if self._epochs[i] != epoch:
            self._drop(i)
            self._epochs[i] = epoch

    def _drop(self, j: int) -> None:
        self.total -= self._calls[j]
        self.failures -= self._fails[j]
        self.slow -= self._slows[j]
        self._calls[j] = self._fails[j] = self._slows[j] = 0

    def reset(self) -> None:
        """Forget every outcome."""
        self._calls = [0] * self._n
        self._fails = [0] * self._n
        self._slows = [0] * self._n
        self._epochs = [-1] * self._n
        self.total = self.failures = self.slow = 0


Window = CountWindow | TimeWindow
