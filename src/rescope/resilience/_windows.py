"""Sliding windows of call outcomes for the failure-rate rule.

A count window is a ring buffer of the last ``size`` outcomes with a running failure
count; a time window is a ring of per-bucket counters over the last ``seconds``. Both
record an outcome in O(1) without allocating.
"""

from __future__ import annotations

import math

__all__ = ["CountWindow", "TimeWindow", "Window"]


class CountWindow:
    """The outcomes of the last ``size`` calls.

    Args:
        size: How many calls the window holds.
    """

    __slots__ = ("_pos", "_ring", "failures", "size", "total")

    def __init__(self, size: int) -> None:
        self.size = size
        self._ring = bytearray(size)
        self._pos = 0
        self.total = 0
        self.failures = 0

    def record(self, failed: bool, now: float) -> None:  # noqa: FBT001 - hot path
        """Record one outcome (``now`` is unused: the window counts calls, not time)."""
        del now
        pos = self._pos
        ring = self._ring
        new = 1 if failed else 0
        if self.total < self.size:
            self.total += 1
        else:
            self.failures -= ring[pos]
        ring[pos] = new
        self.failures += new
        pos += 1
        self._pos = 0 if pos == self.size else pos

    def reset(self) -> None:
        """Forget every outcome."""
        self._ring = bytearray(self.size)
        self._pos = self.total = self.failures = 0


class TimeWindow:
    """The outcomes of the calls of the last ``seconds``, in one-``bucket``-second buckets.

    Args:
        seconds: The window's length.
        bucket: The length of one bucket; outcomes older than the window drop out bucket
            by bucket.
    """

    __slots__ = ("_bucket", "_calls", "_epochs", "_fails", "_n", "failures", "total")

    def __init__(self, seconds: float, bucket: float = 1.0) -> None:
        self._bucket = bucket
        self._n = max(1, math.ceil(seconds / bucket))
        self._calls = [0] * self._n
        self._fails = [0] * self._n
        self._epochs = [-1] * self._n
        self.total = 0
        self.failures = 0

    def record(self, failed: bool, now: float) -> None:  # noqa: FBT001 - hot path
        """Record one outcome at time ``now``."""
        self.advance(now)
        i = int(now // self._bucket) % self._n
        self._calls[i] += 1
        self.total += 1
        if failed:
            self._fails[i] += 1
            self.failures += 1

    def advance(self, now: float) -> None:
        """Drop the buckets that fell out of the window by ``now``."""
        epoch = int(now // self._bucket)
        i = epoch % self._n
        if self._epochs[i] == epoch:
            return
        for j in range(self._n):
            stamp = self._epochs[j]
            if stamp != -1 and epoch - stamp >= self._n:
                self.total -= self._calls[j]
                self.failures -= self._fails[j]
                self._calls[j] = self._fails[j] = 0
                self._epochs[j] = -1
        if self._epochs[i] != epoch:
            self.total -= self._calls[i]
            self.failures -= self._fails[i]
            self._calls[i] = self._fails[i] = 0
            self._epochs[i] = epoch

    def reset(self) -> None:
        """Forget every outcome."""
        self._calls = [0] * self._n
        self._fails = [0] * self._n
        self._epochs = [-1] * self._n
        self.total = self.failures = 0


Window = CountWindow | TimeWindow
