"""The circuit breaker: closed, open and half-open, with the hot paths kept minimal.

The closed state with the default rules (consecutive failures only) takes the *fast path*:
one flag test, one counter increment and, after the call, one store. An open circuit
without a fallback rejects on the *reject path*: one flag test, one clock comparison and a
raise of the breaker's preallocated error. Everything else (half-open, sliding windows,
slow-call timing, fallbacks) takes the *guarded path* of :class:`BreakerCore`.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal, ParamSpec, Self, TypeVar, cast, overload

from rescope.exceptions import CircuitOpenError
from rescope.resilience import _hooks
from rescope.resilience._breaker_config import check_config, use_default_clock
from rescope.resilience._breaker_core import BreakerCore
from rescope.resilience._clock import Clock
from rescope.resilience._state import CircuitState
from rescope.resilience._windows import CountWindow, TimeWindow

__all__ = ["CircuitBreaker", "Listener"]

P = ParamSpec("P")
R = TypeVar("R")

#: A state-change listener: ``listener(breaker, old, new)``, sync or async.
Listener = Callable[["CircuitBreaker", CircuitState, CircuitState], "Awaitable[None] | None"]

_names = itertools.count(1)
ON_REJECTION = _hooks.ON_REJECTION
emit = _hooks.emit


class CircuitBreaker(BreakerCore):
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
        minimum_calls: Calls the window must hold before a rate rule applies.
        slow_call_threshold: Seconds after which a call is slow (``None``: calls are not
            timed). Without ``slow_call_rate_threshold`` a slow call counts as a failure.
        slow_call_rate_threshold: Fraction of slow calls in the sliding window (0 < x <= 1)
            that opens the circuit, whether or not they failed (``None``: off). With it,
            slow calls have their own rate and a slow success is not a failure.
        recovery_timeout: Seconds the circuit stays open before trial calls are let through.
        half_open_max_calls: Trial calls allowed at the same time in half-open; the others
            are rejected at once.
        success_threshold: Successful trial calls that close the circuit (a failed or slow
            trial opens it again).
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

    __slots__ = ()

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
        slow_call_rate_threshold: float | None = None,
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
        check_config(
            self.name,
            failure_threshold=failure_threshold,
            failure_rate_threshold=failure_rate_threshold,
            slow_call_threshold=slow_call_threshold,
            slow_call_rate_threshold=slow_call_rate_threshold,
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
        self.slow_call_rate_threshold = slow_call_rate_threshold
        self.recovery_timeout = recovery_timeout
        self.half_open_max_calls = half_open_max_calls
        self.success_threshold = success_threshold
        self._failure_types = tuple(failure_exceptions)
        self._excluded = tuple(excluded_exceptions)
        self._fallback = fallback
        self._listeners = list(listeners)
        self._window = None
        if failure_rate_threshold is not None or slow_call_rate_threshold is not None:
            self._window = (
                CountWindow(window_size) if window_type == "count" else TimeWindow(window_size)
            )
        self._clock = use_default_clock(self) if clock is None else clock
        self._trial: contextvars.ContextVar[tuple[int, float] | None] = contextvars.ContextVar(
            f"rescope_breaker_{self.name}", default=None
        )
        self._init_state()

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
                if self._on_error(exc) and self._fallback is not None:
                    return cast("R", self._fallback(*args, **kwargs))
                raise
            self._consecutive = 0
            return result
        if self._reject and self._clock() < self._retry_at:
            self._rejections += 1
            if ON_REJECTION:
                emit(ON_REJECTION, self.name)
            raise self._rejection.with_traceback(None) from None
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
                if self._on_error(exc) and self._fallback is not None:
                    return cast("R", await _maybe_await(self._fallback(*args, **kwargs)))
                raise
            self._consecutive = 0
            return result
        if self._reject and self._clock() < self._retry_at:
            self._rejections += 1
            if ON_REJECTION:
                emit(ON_REJECTION, self.name)
            raise self._rejection.with_traceback(None) from None
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
                    if breaker._on_error(exc) and breaker._fallback is not None:
                        return cast("R", breaker._fallback(*args, **kwargs))
                    raise
                breaker._consecutive = 0
                return result
            if breaker._reject and breaker._clock() < breaker._retry_at:
                breaker._rejections += 1
                if ON_REJECTION:
                    emit(ON_REJECTION, breaker.name)
                raise breaker._rejection.with_traceback(None) from None
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
                    if breaker._on_error(exc) and breaker._fallback is not None:
                        return cast("R", await _maybe_await(breaker._fallback(*args, **kwargs)))
                    raise
                breaker._consecutive = 0
                return result
            if breaker._reject and breaker._clock() < breaker._retry_at:
                breaker._rejections += 1
                if ON_REJECTION:
                    emit(ON_REJECTION, breaker.name)
                raise breaker._rejection.with_traceback(None) from None
            return await breaker._guarded_async(fn, args, kwargs)

        wrapper.breaker = breaker  # type: ignore[attr-defined]
        return wrapper

    def _guarded_sync(self, fn: Callable[..., R], args: Any, kwargs: Any) -> R:
        try:
            token = self._acquire()
        except CircuitOpenError:
            if self._fallback is None:
                raise
            return cast("R", self._fallback(*args, **kwargs))
        start = self._start()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            if self._settle(token, start, exc) and self._fallback is not None:
                return cast("R", self._fallback(*args, **kwargs))
            raise
        except BaseException:
            self._settle_cancelled(token)
            raise
        self._settle(token, start)
        return result

    async def _guarded_async(self, fn: Callable[..., Awaitable[R]], args: Any, kwargs: Any) -> R:
        try:
            token = self._acquire()
        except CircuitOpenError:
            if self._fallback is None:
                raise
            return cast("R", await _maybe_await(self._fallback(*args, **kwargs)))
        start = self._start()
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            if self._settle(token, start, exc) and self._fallback is not None:
                return cast("R", await _maybe_await(self._fallback(*args, **kwargs)))
            raise
        except BaseException:
            self._settle_cancelled(token)
            raise
        self._settle(token, start)
        return result

    # --- context manager --------------------------------------------------------------

    def __enter__(self) -> Self:
        if self._fast:
            self._calls += 1
            return self
        if self._reject and self._clock() < self._retry_at:
            self._rejections += 1
            if ON_REJECTION:
                emit(ON_REJECTION, self.name)
            raise self._rejection.with_traceback(None) from None
        token = self._acquire()
        self._trial.set((token, self._start()))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        entered = self._trial.get()
        if entered is None:
            if exc is None:
                self._consecutive = 0
            elif isinstance(exc, Exception):
                self._on_error(exc)
            return
        self._trial.set(None)
        token, start = entered
        if exc is None or isinstance(exc, Exception):
            self._settle(token, start, exc)
        else:
            self._settle_cancelled(token)

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name!r} {self._state.value}>"


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value
