"""Clocks: the monotonic default and a manual clock for tests and docs."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock", "ManualClock", "monotonic"]

#: A clock is any zero-argument callable returning seconds as a float (monotonic).
Clock = Callable[[], float]

monotonic: Clock = time.monotonic


class ManualClock:
    """A clock that moves only when told to: breakers and limiters become deterministic.

    Args:
        start: The time it shows at first, in seconds.
    """

    __slots__ = ("now",)

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` and return the new time.

        Raises:
            ValueError: ``seconds`` is negative (monotonic clocks never go back).
        """
        if seconds < 0:
            msg = f"a monotonic clock cannot go back {seconds}s; pass a positive number"
            raise ValueError(msg)
        self.now += seconds
        return self.now

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now:g})"
