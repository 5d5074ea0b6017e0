"""The breaker's state machine: admission, outcome accounting and transitions.

:class:`BreakerCore` holds the state and the bookkeeping; :class:`CircuitBreaker` (in
``_breaker``) adds the ways of calling through it. State changes take a lock; the closed
fast path and open-state rejections do not.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from rescope.exceptions import CircuitOpenError
from rescope.resilience import _hooks
from rescope.resilience._breaker_events import AnyListener, RejectionError, notify
from rescope.resilience._clock import Clock
from rescope.resilience._state import BreakerMetrics, CircuitState
from rescope.resilience._windows import FAILED, SLOW, Window

__all__ = ["BreakerCore"]

CLOSED = CircuitState.CLOSED
OPEN = CircuitState.OPEN
HALF_OPEN = CircuitState.HALF_OPEN


class BreakerCore:
    """State, counters and transitions of a circuit breaker (see :class:`CircuitBreaker`)."""

    __slots__ = (
        "__weakref__",
        "_calls",
        "_clock",
        "_consecutive",
        "_epoch",
        "_excluded",
        "_failure_types",
        "_failures",
        "_fallback",
        "_fast",
        "_half_open_successes",
        "_last_failure_time",
        "_listener_tasks",
        "_listeners",
        "_lock",
        "_opened_at",
        "_reject",
        "_rejection",
        "_rejections",
        "_retry_at",
        "_slow_calls",
        "_slow_is_failure",
        "_state",
        "_transitions",
        "_trial",
        "_trials_in_flight",
        "_window",
        "failure_rate_threshold",
        "failure_threshold",
        "half_open_max_calls",
        "minimum_calls",
        "name",
        "recovery_timeout",
        "slow_call_rate_threshold",
        "slow_call_threshold",
        "success_threshold",
    )

    name: str
    failure_threshold: int | None
    failure_rate_threshold: float | None
    slow_call_threshold: float | None
    slow_call_rate_threshold: float | None
    minimum_calls: int
    recovery_timeout: float
    half_open_max_calls: int
    success_threshold: int
    _clock: Clock
    _window: Window | None
    _failure_types: tuple[type[BaseException], ...]
    _excluded: tuple[type[BaseException], ...]
    _fallback: Callable[..., Any] | None
    _listeners: list[AnyListener]

    def _init_state(self) -> None:
        self._listener_tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.RLock()  # listeners run under it and may call trip()/reset()
        self._slow_is_failure = (
            self.slow_call_threshold is not None and self.slow_call_rate_threshold is None
        )
        self._state = CLOSED
        self._epoch = 0
        self._calls = self._failures = self._rejections = self._transitions = 0
        self._consecutive = self._half_open_successes = self._trials_in_flight = 0
        self._slow_calls = 0
        self._last_failure_time: float | None = None
        self._opened_at = 0.0
        self._retry_at = 0.0
        self._rejection = RejectionError(self)
        self._update_flags()

    # --- public state -----------------------------------------------------------------

    @property
    def state(self) -> CircuitState:
        """The current state.

        An open circuit turns half-open on the first call after its recovery timeout.
        """
        return self._state

    @property
    def fallback(self) -> Callable[..., Any] | None:
        """Called with a protected call's arguments when it is rejected or fails."""
        return self._fallback

    @fallback.setter
    def fallback(self, fallback: Callable[..., Any] | None) -> None:
        self._fallback = fallback
        self._update_flags()

    def metrics(self) -> BreakerMetrics:
        """Return a snapshot of the breaker's counters."""
        retry_after = None
        if self._state is OPEN:
            retry_after = max(0.0, self._retry_at - self._clock())
        return BreakerMetrics(
            name=self.name,
            state=self._state,
            calls=self._calls,
            failures=self._failures,
            rejections=self._rejections,
            consecutive_failures=self._consecutive,
            last_failure_time=self._last_failure_time,
            transitions=self._transitions,
            retry_after=retry_after,
            slow_calls=self._slow_calls,
        )

    def add_listener(self, listener: AnyListener) -> None:
        """Call ``listener(breaker, old, new)`` on every state change.

        Sync listeners run inline; async ones run as tasks on the running event loop (or
        to completion when the change happens outside one). A failing listener is logged.

        Args:
            listener: The listener to add.
        """
        self._listeners.append(listener)

    def remove_listener(self, listener: AnyListener) -> None:
        """Stop calling ``listener``.

        Args:
            listener: A listener added before.

        Raises:
            ValueError: It was not added.
        """
        self._listeners.remove(listener)

    async def wait_listeners(self) -> None:
        """Wait until the async listeners scheduled so far have finished."""
        while self._listener_tasks:
            await asyncio.gather(*list(self._listener_tasks), return_exceptions=True)

    def trip(self, retry_after: float | None = None) -> None:
        """Open the circuit now, whatever its state (manual override).

        Args:
            retry_after: Seconds until trial calls (default: the recovery timeout).
        """
        with self._lock:
            self._to_open(self._clock(), retry_after)

    def reset(self) -> None:
        """Close the circuit now and forget the counted failures (manual override)."""
        with self._lock:
            self._transition(CLOSED)

    # --- admission --------------------------------------------------------------------

    def _rejected(self) -> CircuitOpenError:
        """Count one rejection and return the error to raise (its traceback cleared).

        Raise it ``from None``: what was being handled did not cause the rejection.
        """
        self._rejections += 1
        if _hooks.ON_REJECTION:
            _hooks.emit(_hooks.ON_REJECTION, self.name)
        return self._rejection.with_traceback(None)

    def _acquire(self) -> int:
        """Admit one call on the guarded path: return a token for :meth:`_settle`.

        The token is ``-1`` for a closed-state call and the epoch for a trial call.

        Raises:
            CircuitOpenError: The circuit is open, or half-open with every trial slot taken.
        """
        state = self._state
        if state is CLOSED:
            self._calls += 1
            return -1
        now = self._clock()
        if state is OPEN and now < self._retry_at:
            raise self._rejected() from None
        with self._lock:
            if self._state is OPEN and now >= self._retry_at:
                self._transition(HALF_OPEN)
            if self._state is CLOSED:
                self._calls += 1
                return -1
            if self._state is HALF_OPEN and self._trials_in_flight < self.half_open_max_calls:
                self._trials_in_flight += 1
                self._calls += 1
                return self._epoch
        raise self._rejected() from None

    def _start(self) -> float:
        """The start time of a guarded call (``0.0`` when calls are not timed)."""
        return self._clock() if self.slow_call_threshold is not None else 0.0

    # --- outcomes ---------------------------------------------------------------------

    def _counts(self, exc: Exception) -> bool:
        return isinstance(exc, self._failure_types) and not isinstance(exc, self._excluded)

    def _on_error(self, exc: Exception) -> bool:
        """Account an error of a fast-path call; return whether it counted as a failure."""
        failed = self._counts(exc)
        self._record_closed(FAILED if failed else 0)
        return failed

    def _settle(self, token: int, start: float, exc: Exception | None = None) -> bool:
        """Account the outcome of a guarded call; return whether it counted as a failure."""
        outcome = FAILED if exc is not None and self._counts(exc) else 0
        threshold = self.slow_call_threshold
        if threshold is not None and self._clock() - start > threshold:
            outcome |= SLOW
        if token < 0:
            self._record_closed(outcome)
        else:
            self._record_trial(token, outcome)
        return bool(outcome & FAILED)

    def _settle_cancelled(self, token: int) -> None:
        if token < 0:
            return
        with self._lock:
            if self._state is HALF_OPEN and token == self._epoch:
                self._trials_in_flight -= 1

    def _count_outcome(self, outcome: int) -> bool:
        """Update the lifetime counters; return whether the outcome is a failure."""
        if outcome & SLOW:
            self._slow_calls += 1
        if outcome & FAILED or (outcome and self._slow_is_failure):
            self._failures += 1
            self._last_failure_time = time.time()
            return True
        return False

    def _record_closed(self, outcome: int) -> None:
        failed = self._count_outcome(outcome)
        if self._state is not CLOSED:
            return
        self._consecutive = self._consecutive + 1 if failed else 0
        window = self._window
        if window is not None:
            window.record(outcome | FAILED if failed else outcome, self._clock())
        elif not failed:
            return
        if self._should_open():
            with self._lock:
                if self._state is CLOSED:
                    self._to_open(self._clock())

    def _should_open(self) -> bool:
        threshold = self.failure_threshold
        if threshold is not None and self._consecutive >= threshold:
            return True
        window = self._window
        if window is None or window.total < self.minimum_calls:
            return False
        rate = self.failure_rate_threshold
        if rate is not None and window.failures >= rate * window.total:
            return True
        rate = self.slow_call_rate_threshold
        return rate is not None and window.slow >= rate * window.total

    def _record_trial(self, epoch: int, outcome: int) -> None:
        # A slow trial call reopens the circuit like a failed one: the dependency is not back.
        self._count_outcome(outcome)
        with self._lock:
            if self._state is not HALF_OPEN or epoch != self._epoch:
                return
            if outcome:
                self._to_open(self._clock())
                return
            self._trials_in_flight -= 1
            self._half_open_successes += 1
            if self._half_open_successes >= self.success_threshold:
                self._transition(CLOSED)

    # --- transitions (called with the lock held) --------------------------------------

    def _to_open(self, now: float, retry_after: float | None = None) -> None:
        self._opened_at = now
        self._retry_at = now + (self.recovery_timeout if retry_after is None else retry_after)
        self._transition(OPEN)

    def _transition(self, new: CircuitState) -> None:
        old = self._state
        self._epoch += 1
        self._consecutive = 0
        self._half_open_successes = 0
        self._trials_in_flight = 0
        if self._window is not None:
            self._window.reset()
        # A fresh error per period: nothing a caller did to the last one carries over.
        self._rejection = RejectionError(self)
        self._state = new
        self._update_flags()
        if old is new:
            return
        self._transitions += 1
        if _hooks.ON_TRANSITION:
            _hooks.emit(_hooks.ON_TRANSITION, self.name, old, new)
        for listener in list(self._listeners):
            notify(self, listener, old, new)

    def _update_flags(self) -> None:
        state = self._state
        self._fast = state is CLOSED and self._window is None and self.slow_call_threshold is None
        self._reject = state is OPEN and self._fallback is None
