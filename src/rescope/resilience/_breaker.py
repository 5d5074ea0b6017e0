"""The circuit breaker: closed, open and half-open, with a closed path kept minimal.

The closed state with the default rules (consecutive failures only) takes the *fast path*:
one flag test, one counter increment and, after the call, one store. Everything else
(open, half-open, sliding windows, slow-call timing) takes the *guarded path*. State
changes take a lock; the closed path does not.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal, ParamSpec, Self, TypeVar, cast, overload

from rescope.exceptions import CircuitOpenError, ConfigurationError
from rescope.resilience import _hooks
from rescope.resilience._clock import Clock, monotonic
from rescope.resilience._state import BreakerMetrics, CircuitState
from rescope.resilience._windows import CountWindow, TimeWindow, Window

__all__ = ["CircuitBreaker", "Listener"]

P = ParamSpec("P")
R = TypeVar("R")

CLOSED = CircuitState.CLOSED
OPEN = CircuitState.OPEN
HALF_OPEN = CircuitState.HALF_OPEN
ON_REJECTION = _hooks.ON_REJECTION
# Rejections build their error with ``__new__`` alone (args set in C, no Python frame):
# about half the cost of a rejection otherwise.
_open_error: Callable[..., CircuitOpenError] = CircuitOpenError.__new__

logger = logging.getLogger("rescope.resilience")

#: A state-change listener: ``listener(breaker, old, new)``, sync or async.
Listener = Callable[["CircuitBreaker", CircuitState, CircuitState], "Awaitable[None] | None"]

# Breakers that use the default clock, so that ``testing()`` can swap it.
_DEFAULT_CLOCK_BREAKERS: weakref.WeakSet[CircuitBreaker] = weakref.WeakSet()
_default_clock: list[Clock] = [monotonic]
_names = itertools.count(1)


class CircuitBreaker:
    """Stops calling a dependency that keeps failing, and tries it again after a while.

    Use it as a decorator (sync or async functions), as a context manager (``with`` or
    ``async with``), or through :meth:`call` / :meth:`call_async`.

    Args:
        name: The breaker's name, used in errors, metrics and the registry.
        failure_threshold: Consecutive failures that open the circuit (``None``: off).
        failure_rate_threshold: Fraction of failed calls in the sliding window (0 < x <= 1)
            that opens the circuit (``None``: off).
        window_size: The sliding window: the last ``window_size`` calls when
            ``window_type="count"``, the last ``window_size`` seconds when ``"time"``.
        window_type: ``"count"`` or ``"time"``.
        minimum_calls: Calls the window must hold before the rate rule applies.
        slow_call_threshold: Seconds after which a successful call counts as a failure
            (``None``: calls are not timed).
        recovery_timeout: Seconds the circuit stays open before trial calls are let through.
        half_open_max_calls: Trial calls allowed at the same time in half-open; the others
            are rejected at once.
        success_threshold: Successful trial calls that close the circuit.
        failure_exceptions: Exception types that count as failures.
        excluded_exceptions: Exception types that never count as failures, even when they
            subclass one of ``failure_exceptions`` (a 404 means the service is up).
        fallback: Called with the protected call's arguments, and its result returned,
            when a call is rejected or fails; for async calls it may be async.
        listeners: State-change listeners, ``listener(breaker, old, new)``, sync or async.
        clock: A monotonic clock (default ``time.monotonic``; ``testing()`` swaps it).

    Raises:
        ConfigurationError: An argument is out of range.
    """

    __slots__ = (
        "__weakref__",
        "_calls",
        "_clock",
        "_consecutive",
        "_epoch",
        "_excluded",
        "_failure_types",
        "_failures",
        "_fast",
        "_half_open_successes",
        "_last_failure_time",
        "_listener_tasks",
        "_listeners",
        "_lock",
        "_opened_at",
        "_rejections",
        "_retry_at",
        "_state",
        "_transitions",
        "_trial",
        "_trials_in_flight",
        "_window",
        "failure_rate_threshold",
        "failure_threshold",
        "fallback",
        "half_open_max_calls",
        "minimum_calls",
        "name",
        "recovery_timeout",
        "slow_call_threshold",
        "success_threshold",
    )

    def __init__(  # noqa: PLR0913 - every rule is a keyword with a default
        self,
        name: str | None = None,
        *,
        failure_threshold: int | None = 5,
        failure_rate_threshold: float | None = None,
        window_size: int = 100,
        window_type: Literal["count", "time"] = "count",
        minimum_calls: int = 10,
        slow_call_threshold: float | None = None,
        recovery_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        success_threshold: int = 3,
        failure_exceptions: Iterable[type[BaseException]] = (Exception,),
        excluded_exceptions: Iterable[type[BaseException]] = (),
        fallback: Callable[..., Any] | None = None,
        listeners: Iterable[Listener] = (),
        clock: Clock | None = None,
    ) -> None:
        self.name = name or f"breaker-{next(_names)}"
        _check_config(
            self.name,
            failure_threshold=failure_threshold,
            failure_rate_threshold=failure_rate_threshold,
            window_size=window_size,
            window_type=window_type,
            minimum_calls=minimum_calls,
            recovery_timeout=recovery_timeout,
            half_open_max_calls=half_open_max_calls,
            success_threshold=success_threshold,
        )
        self.failure_threshold = failure_threshold
        self.failure_rate_threshold = failure_rate_threshold
        self.minimum_calls = minimum_calls
        self.slow_call_threshold = slow_call_threshold
        self.recovery_timeout = recovery_timeout
        self.half_open_max_calls = half_open_max_calls
        self.success_threshold = success_threshold
        self._failure_types = tuple(failure_exceptions)
        self._excluded = tuple(excluded_exceptions)
        self.fallback = fallback
        self._listeners: list[Listener] = list(listeners)
        self._listener_tasks: set[asyncio.Task[None]] = set()
        self._window: Window | None = None
        if failure_rate_threshold is not None:
            self._window = (
                CountWindow(window_size) if window_type == "count" else TimeWindow(window_size)
            )
        if clock is None:
            self._clock = _default_clock[0]
            _DEFAULT_CLOCK_BREAKERS.add(self)
        else:
            self._clock = clock
        self._lock = threading.RLock()  # listeners run under it and may call trip()/reset()
        self._trial: contextvars.ContextVar[tuple[int, float] | None] = contextvars.ContextVar(
            f"rescope_breaker_{self.name}", default=None
        )
        self._state = CLOSED
        self._epoch = 0
        self._calls = self._failures = self._rejections = self._transitions = 0
        self._consecutive = self._half_open_successes = self._trials_in_flight = 0
        self._last_failure_time: float | None = None
        self._opened_at = 0.0
        self._retry_at = 0.0
        self._fast = True
        self._update_fast()

    # --- public state -----------------------------------------------------------------

    @property
    def state(self) -> CircuitState:
        """The current state.

        An open circuit turns half-open on the first call after its recovery timeout.
        """
        return self._state

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
        )

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(breaker, old, new)`` on every state change.

        Sync listeners run inline; async ones run as tasks on the running event loop (or
        to completion when the change happens outside one). A failing listener is logged.

        Args:
            listener: The listener to add.
        """
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
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

    # --- calling ----------------------------------------------------------------------

    @overload
    def __call__(self, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]: ...
    @overload
    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]: ...
    def __call__(self, fn: Callable[P, Any]) -> Callable[P, Any]:
        """Decorate a sync or async function so that every call goes through the breaker."""
        if inspect.iscoroutinefunction(fn):
            return self._wrap_async(fn)
        return self._wrap_sync(fn)

    def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call ``fn(*args, **kwargs)`` through the breaker.

        Raises:
            CircuitOpenError: The circuit is open and there is no fallback.
        """
        if self._fast:
            self._calls += 1
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                if self._on_error(exc) and self.fallback is not None:
                    return cast("R", self.fallback(*args, **kwargs))
                raise
            self._consecutive = 0
            return result
        return self._guarded_sync(fn, args, kwargs)

    async def call_async(
        self, fn: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Await ``fn(*args, **kwargs)`` through the breaker.

        Raises:
            CircuitOpenError: The circuit is open and there is no fallback.
        """
        if self._fast:
            self._calls += 1
            try:
                result = await fn(*args, **kwargs)
            except Exception as exc:
                if self._on_error(exc) and self.fallback is not None:
                    return cast("R", await _maybe_await(self.fallback(*args, **kwargs)))
                raise
            self._consecutive = 0
            return result
        return await self._guarded_async(fn, args, kwargs)

    def _wrap_sync(self, fn: Callable[P, R]) -> Callable[P, R]:
        breaker = self

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if breaker._fast:
                breaker._calls += 1
                try:
                    result = fn(*args, **kwargs)
                except Exception as exc:
                    if breaker._on_error(exc) and breaker.fallback is not None:
                        return cast("R", breaker.fallback(*args, **kwargs))
                    raise
                breaker._consecutive = 0
                return result
            if breaker._state is OPEN and breaker.fallback is None:
                now = breaker._clock()
                if now < breaker._retry_at:
                    breaker._rejections += 1
                    if ON_REJECTION:
                        _hooks.emit(ON_REJECTION, breaker.name)
                    raise _open_error(CircuitOpenError, breaker.name, breaker._retry_at - now)
            return breaker._guarded_sync(fn, args, kwargs)

        wrapper.breaker = breaker  # type: ignore[attr-defined]
        return wrapper

    def _wrap_async(self, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        breaker = self

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if breaker._fast:
                breaker._calls += 1
                try:
                    result = await fn(*args, **kwargs)
                except Exception as exc:
                    if breaker._on_error(exc) and breaker.fallback is not None:
                        return cast("R", await _maybe_await(breaker.fallback(*args, **kwargs)))
                    raise
                breaker._consecutive = 0
                return result
            if breaker._state is OPEN and breaker.fallback is None:
                now = breaker._clock()
                if now < breaker._retry_at:
                    breaker._rejections += 1
                    if ON_REJECTION:
                        _hooks.emit(ON_REJECTION, breaker.name)
                    raise _open_error(CircuitOpenError, breaker.name, breaker._retry_at - now)
            return await breaker._guarded_async(fn, args, kwargs)

        wrapper.breaker = breaker  # type: ignore[attr-defined]
        return wrapper

    def _guarded_sync(self, fn: Callable[..., R], args: Any, kwargs: Any) -> R:
        try:
            epoch = self._acquire()
        except CircuitOpenError:
            if self.fallback is None:
                raise
            return cast("R", self.fallback(*args, **kwargs))
        start = self._clock() if self.slow_call_threshold is not None else 0.0
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            if self._settle_error(exc, epoch) and self.fallback is not None:
                return cast("R", self.fallback(*args, **kwargs))
            raise
        except BaseException:
            self._settle_cancelled(epoch)
            raise
        self._settle_success(epoch, start)
        return result

    async def _guarded_async(self, fn: Callable[..., Awaitable[R]], args: Any, kwargs: Any) -> R:
        try:
            epoch = self._acquire()
        except CircuitOpenError:
            if self.fallback is None:
                raise
            return cast("R", await _maybe_await(self.fallback(*args, **kwargs)))
        start = self._clock() if self.slow_call_threshold is not None else 0.0
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            if self._settle_error(exc, epoch) and self.fallback is not None:
                return cast("R", await _maybe_await(self.fallback(*args, **kwargs)))
            raise
        except BaseException:
            self._settle_cancelled(epoch)
            raise
        self._settle_success(epoch, start)
        return result

    # --- context manager --------------------------------------------------------------

    def __enter__(self) -> Self:
        if self._fast:
            self._calls += 1
            return self
        epoch = self._acquire()
        start = self._clock() if self.slow_call_threshold is not None else 0.0
        self._trial.set((epoch, start))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        token = self._trial.get()
        if token is None:
            if exc is None:
                self._consecutive = 0
            elif isinstance(exc, Exception):
                self._on_error(exc)
            return
        self._trial.set(None)
        epoch, start = token
        if exc is None:
            self._settle_success(epoch, start)
        elif isinstance(exc, Exception):
            self._settle_error(exc, epoch)
        else:
            self._settle_cancelled(epoch)

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    # --- bookkeeping ------------------------------------------------------------------

    def _acquire(self) -> int:
        """Admit one call on the guarded path: return a token for the settle methods.

        The token is ``-1`` for a closed-state call and the epoch for a trial call.
        """
        state = self._state
        if state is CLOSED:
            self._calls += 1
            return -1
        now = self._clock()
        if state is OPEN and now < self._retry_at:
            self._rejections += 1
            if _hooks.ON_REJECTION:
                _hooks.emit(_hooks.ON_REJECTION, self.name)
            raise _open_error(CircuitOpenError, self.name, self._retry_at - now)
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
        self._rejections += 1
        if _hooks.ON_REJECTION:
            _hooks.emit(_hooks.ON_REJECTION, self.name)
        retry_after = max(0.0, self._retry_at - now) if self._state is OPEN else 0.0
        raise _open_error(CircuitOpenError, self.name, retry_after)

    def _on_error(self, exc: Exception) -> bool:
        """Account an error of a closed-state call; return whether it counted as a failure."""
        if not isinstance(exc, self._failure_types) or isinstance(exc, self._excluded):
            self._consecutive = 0
            if self._window is not None and self._state is CLOSED:
                self._window.record(False, self._clock())  # noqa: FBT003
            return False
        self._record_failure()
        return True

    def _record_failure(self) -> None:
        self._failures += 1
        self._last_failure_time = time.time()
        if self._state is not CLOSED:
            return
        self._consecutive += 1
        now = self._clock()
        window = self._window
        if window is not None:
            window.record(True, now)  # noqa: FBT003
        if (self.failure_threshold is not None and self._consecutive >= self.failure_threshold) or (
            window is not None
            and self.failure_rate_threshold is not None
            and window.total >= self.minimum_calls
            and window.failures >= self.failure_rate_threshold * window.total
        ):
            with self._lock:
                if self._state is CLOSED:
                    self._to_open(now)

    def _settle_success(self, epoch: int, start: float) -> None:
        slow = self.slow_call_threshold
        if slow is not None and self._clock() - start > slow:
            self._settle_failure(epoch)
            return
        if epoch < 0:
            self._consecutive = 0
            if self._window is not None and self._state is CLOSED:
                self._window.record(False, self._clock())  # noqa: FBT003
            return
        with self._lock:
            if self._state is not HALF_OPEN or epoch != self._epoch:
                return
            self._trials_in_flight -= 1
            self._half_open_successes += 1
            if self._half_open_successes >= self.success_threshold:
                self._transition(CLOSED)

    def _settle_error(self, exc: Exception, epoch: int) -> bool:
        if not isinstance(exc, self._failure_types) or isinstance(exc, self._excluded):
            self._settle_success(epoch, self._clock() if self.slow_call_threshold else 0.0)
            return False
        self._settle_failure(epoch)
        return True

    def _settle_failure(self, epoch: int) -> None:
        if epoch < 0:
            self._record_failure()
            return
        self._failures += 1
        self._last_failure_time = time.time()
        with self._lock:
            if self._state is HALF_OPEN and epoch == self._epoch:
                self._to_open(self._clock())

    def _settle_cancelled(self, epoch: int) -> None:
        if epoch < 0:
            return
        with self._lock:
            if self._state is HALF_OPEN and epoch == self._epoch:
                self._trials_in_flight -= 1

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
        self._state = new
        self._update_fast()
        if old is new:
            return
        self._transitions += 1
        if _hooks.ON_TRANSITION:
            _hooks.emit(_hooks.ON_TRANSITION, self.name, old, new)
        for listener in list(self._listeners):
            self._notify(listener, old, new)

    def _update_fast(self) -> None:
        self._fast = (
            self._state is CLOSED and self._window is None and self.slow_call_threshold is None
        )

    def _notify(self, listener: Listener, old: CircuitState, new: CircuitState) -> None:
        try:
            result = listener(self, old, new)
        except Exception:
            logger.exception("listener %r of circuit %r failed", listener, self.name)
            return
        if not inspect.isawaitable(result):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            _run_detached(result)
            return
        task = loop.create_task(_guard_listener(result, self.name))
        self._listener_tasks.add(task)
        task.add_done_callback(self._listener_tasks.discard)

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name!r} {self._state.value}>"


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


async def _guard_listener(awaitable: Awaitable[None], name: str) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("async listener of circuit %r failed", name)


def _run_detached(awaitable: Awaitable[None]) -> None:
    """Run an async listener to completion from code that has no running loop."""

    async def run() -> None:
        await _guard_listener(awaitable, "?")

    asyncio.run(run())


def set_default_clock(clock: Clock) -> Clock:
    """Make ``clock`` the clock of every breaker built without one; return the previous."""
    previous = _default_clock[0]
    _default_clock[0] = clock
    for breaker in list(_DEFAULT_CLOCK_BREAKERS):
        breaker._clock = clock  # noqa: SLF001 - the module owns the class
    return previous


def _check_config(  # noqa: C901, PLR0913
    name: str,
    *,
    failure_threshold: int | None,
    failure_rate_threshold: float | None,
    window_size: int,
    window_type: str,
    minimum_calls: int,
    recovery_timeout: float,
    half_open_max_calls: int,
    success_threshold: int,
) -> None:
    problems = []
    if failure_threshold is not None and failure_threshold < 1:
        problems.append(f"failure_threshold={failure_threshold} must be at least 1 (or None)")
    if failure_rate_threshold is not None and not 0 < failure_rate_threshold <= 1:
        problems.append(
            f"failure_rate_threshold={failure_rate_threshold} must be in (0, 1] (or None)"
        )
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
    if failure_threshold is None and failure_rate_threshold is None:
        problems.append("no trip rule: set failure_threshold or failure_rate_threshold")
    if problems:
        raise ConfigurationError(
            f"circuit breaker {name!r} is misconfigured: " + "; ".join(problems) + ".",
            setting=name,
            hint="the documented defaults (failure_threshold=5, recovery_timeout=30,"
            " success_threshold=3) and change one value at a time.",
        )
