"""Resilience errors (``rescope.resilience``): breakers, Redis, rate limits, retries."""

from __future__ import annotations

from rescope.exceptions._base import RescopeError

__all__ = [
    "CircuitOpenError",
    "RateLimitExceededError",
    "RedisUnavailableError",
    "ResilienceError",
    "RetryBudgetExceededError",
]


class ResilienceError(RescopeError):
    """Base class for resilience errors."""


class CircuitOpenError(ResilienceError):
    """Raised when a circuit breaker rejects a call without running it.

    The context lives in ``args`` and the message is rendered only when the error is
    printed. A breaker raises one instance of its own for every rejection of an open period
    (nothing allocated per rejection); that instance reads ``retry_after`` live from the
    breaker and pickles or copies as a plain snapshot.

    Args:
        name: The breaker's name.
        retry_after: Seconds until the breaker lets a trial call through, if known.
    """

    def __init__(self, name: str, retry_after: float | None = None) -> None:
        # No RescopeError.__init__: the message is derived from the attributes on demand.
        self.args = (name, retry_after)

    @property
    def name(self) -> str:
        """The breaker's name."""
        return str(self.args[0])

    @property
    def retry_after(self) -> float | None:
        """Seconds until the breaker lets a trial call through, if known."""
        value = self.args[1] if len(self.args) > 1 else None
        return None if value is None else float(value)

    @property
    def message(self) -> str:
        """What happened, rendered on demand."""
        retry_after = self.retry_after
        wait = "" if retry_after is None else f" for another {max(retry_after, 0.0):.1f}s"
        return f"circuit {self.name!r} is open{wait}: the call was rejected without running."

    @message.setter
    def message(self, value: str) -> None:
        del value  # the message is derived from the attributes

    @property
    def hint(self) -> str | None:
        """No hint: the fix depends on the caller (a fallback, or waiting for recovery)."""
        return None

    @hint.setter
    def hint(self, value: str | None) -> None:
        del value


class RedisUnavailableError(ResilienceError):
    """Raised by the resilient Redis client in STRICT mode when Redis cannot be reached.

    Args:
        command: The Redis command that could not run (``"SET"``, ``"PIPELINE"``, ...).
        reason: Why: the breaker is open, or the error the connection raised.
    """

    def __init__(self, command: str, *, reason: str) -> None:
        super().__init__(
            f"Redis {command} did not run: {reason}. In STRICT mode the client raises rather"
            " than pretend the operation succeeded.",
            hint="PERMISSIVE mode for this call (`mode=RedisMode.PERMISSIVE`) if a fallback"
            " value is acceptable, or check that Redis is up (`health_check()`).",
        )
        self.command = command
        self.reason = reason


class RateLimitExceededError(ResilienceError):
    """Raised when a caller goes over its rate limit.

    Args:
        key: The limited key (user, route, ...).
        limit: Calls allowed per window.
        window: The window in seconds.
        retry_after: Seconds until a call would be allowed again.
    """

    def __init__(self, key: str, *, limit: int, window: float, retry_after: float) -> None:
        super().__init__(
            f"rate limit for {key!r} exceeded: {limit} calls per {window:g}s;"
            f" retry in {retry_after:.1f}s."
        )
        self.key = key
        self.limit = limit
        self.window = window
        self.retry_after = retry_after


class RetryBudgetExceededError(ResilienceError):
    """Raised when retries ran out of attempts or of their total time budget.

    The last error is chained as ``__cause__`` and kept as :attr:`last_error`.

    Args:
        target: What was retried (a function's qualified name).
        attempts: How many attempts ran.
        elapsed: Seconds spent, waits included.
        last_error: The error the last attempt raised.
    """

    def __init__(
        self, target: str, *, attempts: int, elapsed: float, last_error: BaseException
    ) -> None:
        super().__init__(
            f"{target} failed {attempts} time(s) in {elapsed:.2f}s and its retry budget is"
            f" spent; the last error was {type(last_error).__name__}: {last_error}",
            hint="a larger `attempts` or `timeout`, or find out why the dependency keeps failing.",
        )
        self.target = target
        self.attempts = attempts
        self.elapsed = elapsed
        self.last_error = last_error
