"""Retries with exponential backoff, jitter and a total time budget, on top of stamina.

A retry stops at once when the circuit is open: :class:`CircuitOpenError` is never
retried, and with ``breaker=`` neither is any error raised while that breaker is open.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, ParamSpec, TypeVar, cast, overload

from rescope._extras import import_extra
from rescope.exceptions import CircuitOpenError, RetryBudgetExceededError
from rescope.resilience._breaker import CircuitBreaker
from rescope.resilience._state import CircuitState
from rescope.resilience._testing import in_testing

__all__ = ["retry"]

P = ParamSpec("P")
R = TypeVar("R")

RetryOn = type[BaseException] | tuple[type[BaseException], ...] | Callable[[Exception], bool]


class _Retrying:
    """The settings of one retried function and the predicate stamina asks."""

    __slots__ = ("attempts", "breaker", "on", "stamina", "timeout", "wait")

    def __init__(  # noqa: PLR0913
        self,
        on: RetryOn,
        *,
        attempts: int,
        timeout: float | None,
        wait_initial: float,
        wait_max: float,
        wait_jitter: float,
        wait_exp_base: float,
        breaker: CircuitBreaker | None,
    ) -> None:
        self.on = on
        self.attempts = attempts
        self.timeout = timeout
        self.wait = {
            "wait_initial": wait_initial,
            "wait_max": wait_max,
            "wait_jitter": wait_jitter,
            "wait_exp_base": wait_exp_base,
        }
        self.breaker = breaker
        self.stamina = import_extra("stamina", extra="retry", module=__name__)

    def should_retry(self, exc: Exception) -> bool:
        if isinstance(exc, CircuitOpenError):
            return False
        if self.breaker is not None and self.breaker.state is CircuitState.OPEN:
            return False
        if isinstance(self.on, type | tuple):
            return isinstance(exc, self.on)
        return bool(self.on(exc))

    def _waits(self) -> dict[str, float]:
        if in_testing() or self.stamina.is_testing():
            return {"wait_initial": 0.0, "wait_max": 0.0, "wait_jitter": 0.0, "wait_exp_base": 2}
        return self.wait

    def first_wait(self, exc: Exception, start: float) -> float | None:
        """The wait before the second attempt, or ``None`` when there is none to make."""
        if self.attempts <= 1 or not self.should_retry(exc):
            return None
        w = self._waits()
        wait = min(w["wait_max"], w["wait_initial"]) + random.uniform(0, w["wait_jitter"])  # noqa: S311
        if self.timeout is not None and time.monotonic() - start + wait > self.timeout:
            return None
        return wait

    def rest(self, start: float) -> Any:
        """The stamina retry context for the attempts after the first one and its wait."""
        w = dict(self._waits())
        # The first wait is behind us: stamina's first backoff is the second one.
        w["wait_initial"] *= w["wait_exp_base"]
        timeout = None if self.timeout is None else self.timeout - (time.monotonic() - start)
        return self.stamina.retry_context(
            on=self.should_retry,
            attempts=self.attempts - 1,
            timeout=None if timeout is None else max(timeout, 0.0),
            **w,
        )

    def exhausted(
        self, fn: Callable[..., Any], exc: Exception, attempts: int, start: float
    ) -> Exception:
        if attempts == 0 or not self.should_retry(exc):
            return exc
        return RetryBudgetExceededError(
            getattr(fn, "__qualname__", repr(fn)),
            attempts=attempts,
            elapsed=time.monotonic() - start,
            last_error=exc,
        )


@overload
def retry(fn: Callable[P, Awaitable[R]], /) -> Callable[P, Awaitable[R]]: ...
@overload
def retry(fn: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def retry(
    fn: None = None,
    /,
    *,
    on: RetryOn = ...,
    attempts: int = ...,
    timeout: float | None = ...,
    wait_initial: float = ...,
    wait_max: float = ...,
    wait_jitter: float = ...,
    wait_exp_base: float = ...,
    breaker: CircuitBreaker | None = ...,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def retry(  # noqa: PLR0913
    fn: Callable[..., Any] | None = None,
    /,
    *,
    on: RetryOn = Exception,
    attempts: int = 3,
    timeout: float | None = 10.0,
    wait_initial: float = 0.1,
    wait_max: float = 2.0,
    wait_jitter: float = 0.5,
    wait_exp_base: float = 2.0,
    breaker: CircuitBreaker | None = None,
) -> Any:
    """Retry a sync or async function with exponential backoff, jitter and a time budget.

    The n-th wait is ``min(wait_max, wait_initial * wait_exp_base ** (n - 1)) +
    uniform(0, wait_jitter)`` seconds; retries stop after ``attempts`` attempts or once
    ``timeout`` seconds have passed, whichever comes first. Inside ``testing()`` the
    attempts stay and the waits are zero.

    The first attempt runs directly; stamina's retry loop (and its instrumentation) takes
    over after the first wait, so a call that succeeds at once costs almost nothing.

    Args:
        fn: The function (when used as ``@retry`` without arguments).
        on: Exception types to retry, or a predicate ``on(exc) -> bool``.
        attempts: Attempts in all, the first one included.
        timeout: The total time budget in seconds, waits included (``None``: no budget).
        wait_initial: The first wait in seconds.
        wait_max: The longest wait in seconds (before jitter).
        wait_jitter: The most random seconds added to each wait.
        wait_exp_base: How fast the waits grow.
        breaker: Stop retrying while this breaker is open.

    Raises:
        MissingExtraError: ``stamina`` is not installed (``rescope[retry]``).
        RetryBudgetExceededError: (from the decorated function) every attempt failed with
            a retryable error; the last one is its ``__cause__``.
    """
    settings = _Retrying(
        on,
        attempts=attempts,
        timeout=timeout,
        wait_initial=wait_initial,
        wait_max=wait_max,
        wait_jitter=wait_jitter,
        wait_exp_base=wait_exp_base,
        breaker=breaker,
    )

    def decorate(fn: Callable[P, Any]) -> Callable[P, Any]:
        if inspect.iscoroutinefunction(fn):
            return _wrap_async(fn, settings)
        return _wrap_sync(fn, settings)

    if fn is not None:
        return decorate(fn)
    return decorate


def _wrap_sync(fn: Callable[P, R], settings: _Retrying) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.monotonic()
        try:
            return fn(*args, **kwargs)  # the first attempt costs no retry machinery
        except Exception as exc:  # noqa: BLE001 - re-raised unless it is retried
            wait = settings.first_wait(exc, start)
            if wait is None:
                _raise_final(settings, fn, exc, 1, start)
        time.sleep(wait)
        num = 1
        try:
            for attempt in settings.rest(start):
                with attempt:
                    num = 1 + attempt.num
                    return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - re-raised by _raise_final
            _raise_final(settings, fn, exc, num, start)
        msg = "unreachable: stamina ended without a result or an error"  # pragma: no cover
        raise AssertionError(msg)  # pragma: no cover

    return wrapper


def _wrap_async(fn: Callable[P, Awaitable[R]], settings: _Retrying) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.monotonic()
        try:
            return await fn(*args, **kwargs)  # the first attempt costs no retry machinery
        except Exception as exc:  # noqa: BLE001 - re-raised unless it is retried
            wait = settings.first_wait(exc, start)
            if wait is None:
                _raise_final(settings, fn, exc, 1, start)
        await asyncio.sleep(wait)
        num = 1
        try:
            async for attempt in settings.rest(start):
                with attempt:
                    num = 1 + attempt.num
                    return await fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - re-raised by _raise_final
            _raise_final(settings, fn, exc, num, start)
        msg = "unreachable: stamina ended without a result or an error"  # pragma: no cover
        raise AssertionError(msg)  # pragma: no cover

    return cast("Callable[P, Awaitable[R]]", wrapper)


def _raise_final(
    settings: _Retrying, fn: Callable[..., Any], exc: Exception, attempts: int, start: float
) -> NoReturn:
    error = settings.exhausted(fn, exc, attempts, start)
    if error is exc:
        raise exc
    raise error from exc
