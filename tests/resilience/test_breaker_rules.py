"""The slow-call rate rule and the open-state reject path, in every calling style."""

from __future__ import annotations

import asyncio
import copy
import gc
import pickle
import tracemalloc

import pytest

from rescope.exceptions import CircuitOpenError, ConfigurationError
from rescope.resilience import CircuitBreaker, CircuitState, ManualClock


class BoomError(Exception):
    pass


def slow_rate_breaker(clock: ManualClock, **overrides) -> CircuitBreaker:
    config = {
        "failure_threshold": None,
        "slow_call_threshold": 1.0,
        "slow_call_rate_threshold": 0.5,
        "window_size": 10,
        "minimum_calls": 4,
        "clock": clock,
    }
    config.update(overrides)
    return CircuitBreaker("slow", **config)


def test_slow_call_rate_opens_the_circuit_without_any_failure() -> None:
    """Half the window being slow opens the circuit though every call succeeded."""
    clock = ManualClock()
    breaker = slow_rate_breaker(clock)

    def slow() -> str:
        clock.advance(1.5)
        return "late"

    breaker.call(lambda: "fast")
    breaker.call(lambda: "fast")
    breaker.call(slow)
    assert breaker.state is CircuitState.CLOSED  # 3 calls < minimum
    breaker.call(slow)
    assert breaker.state is CircuitState.OPEN  # 2 slow of 4
    metrics = breaker.metrics()
    assert (metrics.failures, metrics.slow_calls, metrics.consecutive_failures) == (0, 2, 0)


def test_slow_call_rate_is_independent_of_the_failure_rate() -> None:
    """Failures below the failure rate and slow calls below the slow rate keep it closed."""
    clock = ManualClock()
    breaker = slow_rate_breaker(
        clock, failure_rate_threshold=0.5, slow_call_rate_threshold=0.5, minimum_calls=4
    )

    def slow_failure() -> None:
        clock.advance(2)
        raise BoomError

    breaker.call(lambda: None)
    breaker.call(lambda: None)
    breaker.call(lambda: None)
    with pytest.raises(BoomError):
        breaker.call(slow_failure)  # 1 of 4 failed, 1 of 4 slow: under both rates
    assert breaker.state is CircuitState.CLOSED
    assert breaker.metrics().failures == 1
    with pytest.raises(BoomError):
        breaker.call(slow_failure)  # 2 of 5 failed and 2 of 5 slow: still under 0.5
    assert breaker.state is CircuitState.CLOSED
    with pytest.raises(BoomError):
        breaker.call(slow_failure)  # 3 of 6: both rules fire
    assert breaker.state is CircuitState.OPEN


def test_slow_calls_in_a_time_window_age_out() -> None:
    """Slow calls older than a time window no longer count toward the slow-call rate."""
    clock = ManualClock()
    breaker = slow_rate_breaker(clock, window_type="time", window_size=10, minimum_calls=2)

    def slow() -> None:
        clock.advance(1.5)

    breaker.call(lambda: None)
    breaker.call(lambda: None)
    breaker.call(lambda: None)
    breaker.call(slow)  # 1 slow of 4
    clock.advance(20)
    breaker.call(lambda: None)
    breaker.call(lambda: None)
    breaker.call(lambda: None)
    assert breaker.state is CircuitState.CLOSED
    breaker.call(slow)
    assert breaker.state is CircuitState.CLOSED  # the old slow call has aged out: 1 of 4
    breaker.call(slow)
    assert breaker.state is CircuitState.CLOSED  # 2 of 5
    breaker.call(slow)
    assert breaker.state is CircuitState.OPEN  # 3 of 6


@pytest.mark.anyio
async def test_slow_async_calls_count_and_a_slow_trial_reopens() -> None:
    """Async calls are timed to their end, and a slow trial call opens the circuit again."""
    clock = ManualClock()
    breaker = slow_rate_breaker(clock, minimum_calls=2, recovery_timeout=5)

    @breaker
    async def lookup(delay: float) -> str:
        await asyncio.sleep(0)
        clock.advance(delay)
        return "ok"

    assert await lookup(0) == "ok"
    assert await lookup(3) == "ok"
    assert breaker.state is CircuitState.OPEN
    clock.advance(5)
    assert await lookup(3) == "ok"  # a trial that succeeds, but slowly
    assert breaker.state is CircuitState.OPEN
    assert breaker.metrics().retry_after == pytest.approx(5)


def test_slow_call_rate_needs_a_duration() -> None:
    """A slow-call rate without slow_call_threshold is refused; alone it is a valid rule."""
    with pytest.raises(ConfigurationError, match="needs slow_call_threshold"):
        CircuitBreaker("x", slow_call_rate_threshold=0.5)
    with pytest.raises(ConfigurationError, match=r"slow_call_rate_threshold=1.5 must be in"):
        CircuitBreaker("x", slow_call_threshold=1, slow_call_rate_threshold=1.5)
    breaker = CircuitBreaker(
        "y", failure_threshold=None, slow_call_threshold=1, slow_call_rate_threshold=0.5
    )
    assert breaker.state is CircuitState.CLOSED


# --- the reject path ------------------------------------------------------------------


def open_breaker(**kwargs) -> CircuitBreaker:
    breaker = CircuitBreaker("open", clock=ManualClock(), recovery_timeout=30, **kwargs)
    breaker.trip()
    return breaker


def reject_decorated(breaker, ran):
    return breaker(ran.append)(1)


def reject_call(breaker, ran):
    return breaker.call(ran.append, 1)


def reject_with(breaker, ran):
    with breaker:
        ran.append(1)


async def areject_decorated(breaker, ran):
    async def body():
        ran.append(1)

    return await breaker(body)()


async def areject_call(breaker, ran):
    async def body():
        ran.append(1)

    return await breaker.call_async(body)


async def areject_with(breaker, ran):
    async with breaker:
        ran.append(1)


SYNC_STYLES = [reject_decorated, reject_call, reject_with]
ASYNC_STYLES = [areject_decorated, areject_call, areject_with]


@pytest.mark.parametrize("style", SYNC_STYLES)
def test_every_sync_style_rejects_without_running(style) -> None:
    """Decorator, call() and with reject unrun, count the rejection and say how long."""
    breaker = open_breaker()
    ran: list[int] = []
    for _ in range(3):
        with pytest.raises(CircuitOpenError) as info:
            style(breaker, ran)
        assert info.value.retry_after == pytest.approx(30)
    assert ran == []
    assert breaker.metrics().rejections == 3


@pytest.mark.anyio
@pytest.mark.parametrize("style", ASYNC_STYLES)
async def test_every_async_style_rejects_without_running(style) -> None:
    """Async decorator, call_async() and async with reject unrun and count the rejection."""
    breaker = open_breaker()
    ran: list[int] = []
    for _ in range(3):
        with pytest.raises(CircuitOpenError):
            await style(breaker, ran)
    assert ran == []
    assert breaker.metrics().rejections == 3


def test_a_rejection_never_chains_the_error_being_handled() -> None:
    """A rejection raised inside an except block does not claim it was caused by that error."""
    breaker = open_breaker()
    guarded = breaker(lambda: None)

    def earlier() -> None:
        raise BoomError("earlier")

    try:
        earlier()
    except BoomError:
        with pytest.raises(CircuitOpenError) as info:
            guarded()
    assert info.value.__suppress_context__ is True
    assert info.value.__cause__ is None
    with pytest.raises(CircuitOpenError) as again:
        guarded()
    assert again.value.__traceback__ is not None
    assert again.value.__traceback__.tb_next is not None  # this raise's frames only
    assert again.value.__traceback__.tb_next.tb_next is None


def test_the_rejection_error_reads_retry_after_live_and_pickles_as_a_snapshot() -> None:
    """The per-breaker error reports the time left now, and pickles or copies as a plain one."""
    clock = ManualClock()
    breaker = CircuitBreaker("live", clock=clock, recovery_timeout=30)
    breaker.trip()
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(lambda: None)
    err = info.value
    clock.advance(10)
    assert err.retry_after == pytest.approx(20)
    assert "open for another 20.0s" in str(err)
    assert repr(err) == "CircuitOpenError('live', retry_after=20.0)"
    for snapshot in (pickle.loads(pickle.dumps(err)), copy.copy(err)):  # noqa: S301
        assert type(snapshot) is CircuitOpenError
        assert (snapshot.name, snapshot.retry_after) == ("live", 20.0)
    clock.advance(20)
    breaker.call(lambda: None)
    assert err.retry_after == 0.0  # half-open now: a trial may go through


def test_each_open_period_raises_a_fresh_error() -> None:
    """Rejections of one open period share one error; the next period gets a new one."""
    breaker = open_breaker()
    errors = []
    for _ in range(2):
        with pytest.raises(CircuitOpenError) as info:
            breaker.call(lambda: None)
        errors.append(info.value)
    assert errors[0] is errors[1]
    breaker.reset()
    breaker.trip()
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(lambda: None)
    assert info.value is not errors[0]


def test_a_breaker_with_a_fallback_serves_it_on_every_style() -> None:
    """An open breaker with a fallback returns the fallback's result instead of rejecting."""
    breaker = open_breaker(fallback=lambda *args: "fallback")
    assert breaker(lambda x: x)(1) == "fallback"
    assert breaker.call(lambda x: x, 1) == "fallback"
    breaker.fallback = None
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda x: x, 1)
    assert breaker.metrics().rejections == 3


@pytest.mark.parametrize("style", [reject_call, reject_with])
def test_rejections_keep_no_memory_in_any_style(style) -> None:
    """100,000 rejections through call() and with leave traced memory where it was."""
    breaker = open_breaker()
    ran: list[int] = []

    def reject(n: int) -> None:
        for _ in range(n):
            try:
                style(breaker, ran)
            except CircuitOpenError:
                continue

    reject(1000)
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        reject(100_000)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert breaker.metrics().rejections == 101_000
    assert after - before < 4096
