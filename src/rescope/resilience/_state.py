"""The breaker's states and the snapshot of its metrics."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["BreakerMetrics", "CircuitState"]


class CircuitState(enum.Enum):
    """Where a circuit breaker is.

    ``CLOSED`` lets every call through and counts failures; ``OPEN`` rejects every call
    until the recovery timeout has passed; ``HALF_OPEN`` lets a limited number of trial
    calls through and closes after enough of them succeed.
    """

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class BreakerMetrics:
    """A snapshot of one breaker's counters, for health pages and dashboards.

    Attributes:
        name: The breaker's name.
        state: Its state when the snapshot was taken.
        calls: Calls let through (closed or as trial calls) since it was created.
        failures: Calls that counted as failures (errors, and slow calls when there is no
            slow-call rate rule).
        rejections: Calls rejected without running because the circuit was open.
        consecutive_failures: Failures in a row in the closed state.
        last_failure_time: Wall-clock time (``time.time()``) of the last failure, if any.
        transitions: How many state changes it went through.
        retry_after: Seconds until an open breaker lets a trial call through (else ``None``).
        slow_calls: Calls slower than the breaker's ``slow_call_threshold``.
    """

    name: str
    state: CircuitState
    calls: int
    failures: int
    rejections: int
    consecutive_failures: int
    last_failure_time: float | None
    transitions: int
    retry_after: float | None
    slow_calls: int = 0

    def as_dict(self) -> dict[str, object]:
        """Return the snapshot as JSON-ready data."""
        return {
            "name": self.name,
            "state": self.state.value,
            "calls": self.calls,
            "failures": self.failures,
            "rejections": self.rejections,
            "consecutive_failures": self.consecutive_failures,
            "last_failure_time": self.last_failure_time,
            "transitions": self.transitions,
            "retry_after": self.retry_after,
            "slow_calls": self.slow_calls,
        }
