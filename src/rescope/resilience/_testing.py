"""``testing()``: deterministic breakers and retries without waits."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rescope.resilience._breaker_config import set_default_clock
from rescope.resilience._clock import ManualClock

__all__ = ["in_testing", "testing"]

_active: list[bool] = [False]


def in_testing() -> bool:
    """Return whether a :func:`testing` block is active."""
    return _active[0]


@contextlib.contextmanager
def testing(clock: ManualClock | None = None) -> Iterator[ManualClock]:  # noqa: PT028
    """Make resilience deterministic for the block: a manual clock, no retry waits.

    Every breaker and fallback cache built without an explicit clock (before or inside the
    block) reads the returned :class:`ManualClock`, so recovery timeouts pass and cached
    values expire only when the test calls ``clock.advance(seconds)``; retries keep their
    attempts but do not wait. Everything is restored on exit.

    Args:
        clock: The clock to use (default: a new one at 0).
    """
    clock = clock if clock is not None else ManualClock()
    previous_clock = set_default_clock(clock)
    previous_active = _active[0]
    _active[0] = True
    try:
        yield clock
    finally:
        _active[0] = previous_active
        set_default_clock(previous_clock)


# Importing ``testing`` into a test module must not make pytest collect it as a test.
testing.__test__ = False  # type: ignore[attr-defined]
