"""Checking a breaker's rules, and the default clock that ``testing()`` swaps."""

from __future__ import annotations

import weakref
from typing import Any

from rescope.exceptions import ConfigurationError
from rescope.resilience._clock import Clock, monotonic

__all__ = ["check_config", "default_clock", "set_default_clock", "use_default_clock"]

# Breakers (and fallback caches) that use the default clock, so that ``testing()`` can
# swap it. Each holds its clock in a ``_clock`` attribute.
_DEFAULT_CLOCK_USERS: weakref.WeakSet[Any] = weakref.WeakSet()
_default_clock: list[Clock] = [monotonic]


def default_clock() -> Clock:
    """Return the clock of objects built without one (``testing()`` swaps it)."""
    return _default_clock[0]


def use_default_clock(user: Any) -> Clock:
    """Follow the default clock from now on: ``user._clock`` is swapped with it.

    Args:
        user: An object that reads its clock from its ``_clock`` attribute.
    """
    _DEFAULT_CLOCK_USERS.add(user)
    return _default_clock[0]


def set_default_clock(clock: Clock) -> Clock:
    """Make ``clock`` the clock of every object built without one; return the previous."""
    previous = _default_clock[0]
    _default_clock[0] = clock
    for user in list(_DEFAULT_CLOCK_USERS):
        user._clock = clock  # noqa: SLF001 - the objects registered for exactly this
    return previous


def check_config(  # noqa: PLR0913
    name: str,
    *,
    failure_threshold: int | None,
    failure_rate_threshold: float | None,
    slow_call_threshold: float | None,
    slow_call_rate_threshold: float | None,
    window_size: int,
    window_type: str,
    minimum_calls: int,
    recovery_timeout: float,
    half_open_max_calls: int,
    success_threshold: int,
) -> None:
    """Raise one :class:`ConfigurationError` naming every out-of-range rule.

    Raises:
        ConfigurationError: At least one rule is out of range, or no trip rule is set.
    """
    problems = _rate_problems(
        failure_rate_threshold=failure_rate_threshold,
        slow_call_threshold=slow_call_threshold,
        slow_call_rate_threshold=slow_call_rate_threshold,
    )
    if failure_threshold is not None and failure_threshold < 1:
        problems.append(f"failure_threshold={failure_threshold} must be at least 1 (or None)")
    if window_type not in {"count", "time"}:
        problems.append(f"window_type={window_type!r} must be 'count' or 'time'")
    if window_size < 1:
        problems.append(f"window_size={window_size} must be at least 1")
    if minimum_calls < 1:
        problems.append(f"minimum_calls={minimum_calls} must be at least 1")
    if recovery_timeout < 0:
        problems.append(f"recovery_timeout={recovery_timeout} must not be negative")
    if half_open_max_calls < 1:
        problems.append(f"half_open_max_calls={half_open_max_calls} must be at least 1")
    if success_threshold < 1:
        problems.append(f"success_threshold={success_threshold} must be at least 1")
    if (
        failure_threshold is None
        and failure_rate_threshold is None
        and (slow_call_rate_threshold is None)
    ):
        problems.append(
            "no trip rule: set failure_threshold, failure_rate_threshold or"
            " slow_call_rate_threshold"
        )
    if problems:
        raise ConfigurationError(
            f"circuit breaker {name!r} is misconfigured: " + "; ".join(problems) + ".",
            setting=name,
            hint="the documented defaults (failure_threshold=5, recovery_timeout=30,"
            " success_threshold=3) and change one value at a time.",
        )


def _rate_problems(
    *,
    failure_rate_threshold: float | None,
    slow_call_threshold: float | None,
    slow_call_rate_threshold: float | None,
) -> list[str]:
    problems = []
    for label, rate in (
        ("failure_rate_threshold", failure_rate_threshold),
        ("slow_call_rate_threshold", slow_call_rate_threshold),
    ):
        if rate is not None and not 0 < rate <= 1:
            problems.append(f"{label}={rate} must be in (0, 1] (or None)")
    if slow_call_threshold is not None and slow_call_threshold < 0:
        problems.append(f"slow_call_threshold={slow_call_threshold} must not be negative")
    if slow_call_rate_threshold is not None and slow_call_threshold is None:
        problems.append(
            f"slow_call_rate_threshold={slow_call_rate_threshold} needs slow_call_threshold"
            " (the duration that makes a call slow)"
        )
    return problems
