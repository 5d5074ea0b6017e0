"""Retries: backoff within a budget, no retry of an open circuit, no waits in testing()."""

from __future__ import annotations

import time

import pytest

from rescope.exceptions import CircuitOpenError, RetryBudgetExceededError
from rescope.resilience import CircuitBreaker, ManualClock, retry, testing


class FlakyError(Exception):
    pass


def flaky(failures: int):
    calls = []

    def fn(x: int) -> int:
        calls.append(x)
        if len(calls) <= failures:
            raise FlakyError(len(calls))
        return x * 2

    return fn, calls


def test_retries_until_success() -> None:
    """A function failing twice succeeds on the third attempt."""
    fn, calls = flaky(2)
    wrapped = retry(on=FlakyError, attempts=3, wait_initial=0.001, wait_jitter=0)(fn)
    assert wrapped(21) == 42
    assert len(calls) == 3


def test_exhausted_attempts_raise_budget_error_with_the_cause() -> None:
    """When every attempt fails the error says how many ran and chains the last one."""
    fn, calls = flaky(10)
    wrapped = retry(on=FlakyError, attempts=3, wait_initial=0.001, wait_jitter=0)(fn)
    with pytest.raises(RetryBudgetExceededError) as info:
        wrapped(1)
    assert len(calls) == 3
    assert info.value.attempts == 3
    assert isinstance(info.value.__cause__, FlakyError)
    assert "failed 3 time(s)" in str(info.value)


def test_errors_not_retried_propagate_at_once() -> None:
    """An error outside `on` is raised after one attempt, unwrapped."""
    calls = []

    @retry(on=FlakyError, attempts=5)
    def bad() -> None:
        calls.append(1)
        raise KeyError("no")

    with pytest.raises(KeyError):
        bad()
    assert calls == [1]


def test_the_time_budget_stops_retries() -> None:
    """The total time budget ends retries before the attempts run out."""
    fn, calls = flaky(100)
    wrapped = retry(on=FlakyError, attempts=100, timeout=0.05, wait_initial=0.02, wait_jitter=0)(fn)
    with pytest.raises(RetryBudgetExceededError):
        wrapped(1)
    assert 1 < len(calls) < 10


def test_an_open_circuit_is_never_retried() -> None:
    """CircuitOpenError stops the retries at once: one attempt, the error itself."""
    breaker = CircuitBreaker(clock=ManualClock())
    breaker.trip()
    calls = []

    @retry(attempts=5)
    @breaker
    def call() -> None:
        calls.append(1)

    with pytest.raises(CircuitOpenError):
        call()
    assert calls == []


def test_retries_stop_when_the_given_breaker_opens() -> None:
    """With breaker=..., the failure that opens the breaker is the last attempt."""
    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=2)
    fn, calls = flaky(100)
    wrapped = retry(on=FlakyError, attempts=10, wait_initial=0, wait_jitter=0, breaker=breaker)(
        breaker(fn)
    )
    with pytest.raises(FlakyError):
        wrapped(1)
    assert len(calls) == 2


@pytest.mark.anyio
async def test_async_functions_are_retried() -> None:
    """Async functions are awaited on each attempt."""
    attempts = []

    @retry(on=FlakyError, attempts=4, wait_initial=0.001, wait_jitter=0)
    async def fetch() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise FlakyError
        return "ok"

    assert await fetch() == "ok"
    assert len(attempts) == 3


def test_testing_mode_removes_the_waits_but_keeps_the_attempts() -> None:
    """Inside testing() five attempts with one-minute waits finish at once."""
    fn, calls = flaky(4)
    wrapped = retry(on=FlakyError, attempts=5, timeout=None, wait_initial=60, wait_max=60)(fn)
    start = time.monotonic()
    with testing():
        assert wrapped(1) == 2
    assert len(calls) == 5
    assert time.monotonic() - start < 30  # contrast: four real waits would take 4 minutes


def test_backoff_grows_exponentially_after_the_first_wait() -> None:
    """After the first wait, stamina schedules the next ones at wait_initial * base ** n."""
    import stamina.instrumentation

    seen = []
    previous = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([lambda details: seen.append(details.wait_for)])
    try:
        fn, calls = flaky(3)
        wrapped = retry(
            on=FlakyError, attempts=4, wait_initial=0.001, wait_exp_base=3, wait_jitter=0
        )(fn)
        assert wrapped(1) == 2
    finally:
        stamina.instrumentation.set_on_retry_hooks(previous)
    assert len(calls) == 4
    assert seen == pytest.approx([0.003, 0.009])
