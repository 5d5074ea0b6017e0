"""The circuit breaker: trip rules, recovery, half-open limits, call styles, bookkeeping."""

from __future__ import annotations

import asyncio
import gc
import pickle
import threading
import tracemalloc

import pytest

from rescope.exceptions import CircuitOpenError, ConfigurationError
from rescope.resilience import CircuitBreaker, CircuitState, ManualClock, testing


class BoomError(Exception):
    pass


class NotFoundError(BoomError):
    pass


def fail() -> None:
    raise BoomError("down")


def trip(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(BoomError):
            breaker.call(fail)


def test_consecutive_failures_open_the_circuit() -> None:
    """Five failures in a row open the circuit and the sixth call is rejected unrun."""
    breaker = CircuitBreaker("db", clock=ManualClock())
    trip(breaker, 4)
    assert breaker.state is CircuitState.CLOSED
    trip(breaker, 1)
    assert breaker.state is CircuitState.OPEN
    ran = []
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(ran.append, 1)
    assert ran == []
    assert info.value.name == "db"
    assert info.value.retry_after == pytest.approx(30.0)
    assert "circuit 'db' is open for another 30.0s" in str(info.value)


def test_a_success_resets_the_consecutive_count() -> None:
    """A success between failures resets the count, so scattered failures never trip."""
    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=3)
    for _ in range(10):
        trip(breaker, 2)
        assert breaker.call(lambda: 1) == 1
    assert breaker.state is CircuitState.CLOSED


@pytest.mark.parametrize("window_type", ["count", "time"])
def test_failure_rate_over_the_window_opens_the_circuit(window_type) -> None:
    """Half the calls failing over the window opens it, but only after the minimum calls."""
    clock = ManualClock()
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window_type=window_type,
        window_size=20,
        minimum_calls=10,
        clock=clock,
    )
    for _ in range(4):
        breaker.call(lambda: None)
        trip(breaker, 1)
    assert breaker.state is CircuitState.CLOSED  # 8 calls < minimum
    breaker.call(lambda: None)
    trip(breaker, 1)
    assert breaker.state is CircuitState.OPEN


def test_count_window_forgets_old_outcomes() -> None:
    """Failures that slid out of a count window no longer count toward the rate."""
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window_size=10,
        minimum_calls=10,
        clock=ManualClock(),
    )
    trip(breaker, 4)
    for _ in range(10):
        breaker.call(lambda: None)
    trip(breaker, 4)
    assert breaker.state is CircuitState.CLOSED


def test_time_window_forgets_old_outcomes() -> None:
    """Failures older than a time window no longer count toward the rate."""
    clock = ManualClock()
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window_type="time",
        window_size=10,
        minimum_calls=5,
        clock=clock,
    )
    trip(breaker, 4)
    clock.advance(11)
    for _ in range(3):
        breaker.call(lambda: None)
    trip(breaker, 2)
    assert breaker.state is CircuitState.CLOSED
    trip(breaker, 1)
    assert breaker.state is CircuitState.OPEN


def test_slow_calls_count_as_failures() -> None:
    """Calls slower than the slow-call threshold count as failures even when they succeed."""
    clock = ManualClock()
    breaker = CircuitBreaker(failure_threshold=3, slow_call_threshold=1.0, clock=clock)

    def slow() -> str:
        clock.advance(2)
        return "late"

    assert breaker.call(slow) == "late"
    assert breaker.call(slow) == "late"
    assert breaker.state is CircuitState.CLOSED
    breaker.call(slow)
    assert breaker.state is CircuitState.OPEN
    assert breaker.metrics().failures == 3


def test_recovery_half_open_then_closed_after_success_threshold() -> None:
    """After the recovery timeout trial calls run, and three successes close the circuit."""
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, recovery_timeout=30, success_threshold=3)
    trip(breaker, 5)
    clock.advance(29.9)
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: None)
    clock.advance(0.2)
    assert breaker.call(lambda: 1) == 1
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.call(lambda: 1)
    breaker.call(lambda: 1)
    assert breaker.state is CircuitState.CLOSED


def test_a_failed_trial_reopens_for_another_timeout() -> None:
    """A failing trial call opens the circuit again with a fresh recovery timeout."""
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, recovery_timeout=10)
    trip(breaker, 5)
    clock.advance(10)
    trip(breaker, 1)
    assert breaker.state is CircuitState.OPEN
    assert breaker.metrics().retry_after == pytest.approx(10)


@pytest.mark.anyio
async def test_half_open_admits_only_the_permitted_concurrent_trials() -> None:
    """Of 20 concurrent half-open callers only `half_open_max_calls` run; the rest are rejected."""
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, half_open_max_calls=2, recovery_timeout=1)
    breaker.trip()
    clock.advance(1)
    gate = asyncio.Event()
    ran = 0

    async def probe() -> str:
        nonlocal ran
        ran += 1
        await gate.wait()
        return "ok"

    guarded = breaker(probe)
    tasks = [asyncio.create_task(guarded()) for _ in range(20)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert ran == 2
    assert sum(r == "ok" for r in results) == 2
    assert sum(isinstance(r, CircuitOpenError) for r in results) == 18
    assert breaker.metrics().rejections == 18


def test_excluded_exceptions_are_not_failures() -> None:
    """An excluded exception (a 404) propagates but never counts toward opening the circuit."""
    breaker = CircuitBreaker(
        clock=ManualClock(), failure_threshold=2, excluded_exceptions=[NotFoundError]
    )

    def missing() -> None:
        raise NotFoundError

    for _ in range(10):
        with pytest.raises(NotFoundError):
            breaker.call(missing)
    assert breaker.state is CircuitState.CLOSED
    assert breaker.metrics().failures == 0


def test_only_failure_exceptions_count() -> None:
    """Errors outside `failure_exceptions` propagate without counting."""
    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=1, failure_exceptions=[OSError])
    with pytest.raises(BoomError):
        breaker.call(fail)
    assert breaker.state is CircuitState.CLOSED
    with pytest.raises(OSError):
        breaker.call(lambda: (_ for _ in ()).throw(OSError("refused")))
    assert breaker.state is CircuitState.OPEN


@pytest.mark.anyio
async def test_async_failures_count_as_failures() -> None:
    """An async function's exception is a failure (the awaited result is what counts)."""
    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=2)

    @breaker
    async def down() -> None:
        await asyncio.sleep(0)
        raise BoomError

    for _ in range(2):
        with pytest.raises(BoomError):
            await down()
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError):
        await down()


@pytest.mark.anyio
async def test_cancellation_is_not_a_failure_and_frees_the_trial_slot() -> None:
    """A cancelled trial call neither counts as a failure nor keeps its half-open slot."""
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, recovery_timeout=1)
    breaker.trip()
    clock.advance(1)

    @breaker
    async def hang() -> None:
        await asyncio.sleep(60)

    task = asyncio.create_task(hang())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert breaker.state is CircuitState.HALF_OPEN
    assert await breaker.call_async(asyncio.sleep, 0, "ok") == "ok"


def call_decorated(breaker, fn):
    return breaker(fn)()


def call_method(breaker, fn):
    return breaker.call(fn)


def call_with(breaker, fn):
    with breaker:
        return fn()


@pytest.mark.parametrize("style", [call_decorated, call_method, call_with])
def test_every_sync_style_trips_and_rejects(style) -> None:
    """Decorator, `call()` and `with` count failures and reject alike."""
    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=2)
    for _ in range(2):
        with pytest.raises(BoomError):
            style(breaker, fail)
    with pytest.raises(CircuitOpenError):
        style(breaker, lambda: 1)
    assert breaker.metrics().rejections == 1


async def acall_decorated(breaker, fn):
    return await breaker(fn)()


async def acall_method(breaker, fn):
    return await breaker.call_async(fn)


async def acall_with(breaker, fn):
    async with breaker:
        return await fn()


@pytest.mark.anyio
@pytest.mark.parametrize("style", [acall_decorated, acall_method, acall_with])
async def test_every_async_style_trips_recovers_and_closes(style) -> None:
    """Async decorator, `call_async()` and `async with` trip, go half-open and close alike."""
    clock = ManualClock()
    breaker = CircuitBreaker(
        clock=clock, failure_threshold=2, success_threshold=2, recovery_timeout=5
    )

    async def afail() -> None:
        raise BoomError

    async def aok() -> int:
        return 7

    for _ in range(2):
        with pytest.raises(BoomError):
            await style(breaker, afail)
    with pytest.raises(CircuitOpenError):
        await style(breaker, aok)
    clock.advance(5)
    assert await style(breaker, aok) == 7
    assert breaker.state is CircuitState.HALF_OPEN
    assert await style(breaker, aok) == 7
    assert breaker.state is CircuitState.CLOSED


def test_fallback_serves_rejections_and_failures() -> None:
    """The fallback gets the call's arguments and its result replaces the error."""
    breaker = CircuitBreaker(
        clock=ManualClock(), failure_threshold=1, fallback=lambda user: f"cached:{user}"
    )

    @breaker
    def profile(user: str) -> str:
        raise BoomError(user)

    assert profile("ada") == "cached:ada"  # the failure that opens the circuit
    assert profile("bob") == "cached:bob"  # rejected, served by the fallback
    assert breaker.metrics().rejections == 1


@pytest.mark.anyio
async def test_async_fallback_is_awaited() -> None:
    """An async fallback of an async call is awaited."""

    async def fallback(x: int) -> int:
        return -x

    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=1, fallback=fallback)
    breaker.trip()

    @breaker
    async def double(x: int) -> int:
        return 2 * x

    assert await double(4) == -4


@pytest.mark.anyio
async def test_sync_and_async_listeners_see_every_transition() -> None:
    """Listeners get (breaker, old, new) for each transition; async ones run as tasks."""
    clock = ManualClock()
    seen: list[tuple[str, str]] = []
    seen_async: list[tuple[str, str]] = []

    async def alistener(b, old, new) -> None:
        await asyncio.sleep(0)
        seen_async.append((old.value, new.value))

    breaker = CircuitBreaker(
        clock=clock,
        failure_threshold=1,
        success_threshold=1,
        recovery_timeout=1,
        listeners=[lambda b, old, new: seen.append((old.value, new.value)), alistener],
    )
    trip(breaker, 1)
    clock.advance(1)
    breaker.call(lambda: None)
    await breaker.wait_listeners()
    expected = [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    assert seen == expected
    assert seen_async == expected


def test_a_failing_listener_does_not_break_the_breaker(caplog) -> None:
    """A listener that raises is logged and the transition still happens."""

    def bad(b, old, new) -> None:
        raise RuntimeError("listener bug")

    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=1, listeners=[bad])
    trip(breaker, 1)
    assert breaker.state is CircuitState.OPEN
    assert "listener bug" in caplog.text


def test_metrics_snapshot_counts_calls_failures_rejections() -> None:
    """The metrics snapshot reports calls, failures, rejections, state and last failure time."""
    breaker = CircuitBreaker("pay", clock=ManualClock(), failure_threshold=2)
    breaker.call(lambda: None)
    trip(breaker, 2)
    for _ in range(3):
        with pytest.raises(CircuitOpenError):
            breaker.call(lambda: None)
    m = breaker.metrics()
    assert (m.name, m.state, m.calls, m.failures, m.rejections) == (
        "pay",
        CircuitState.OPEN,
        3,
        2,
        3,
    )
    assert m.last_failure_time is not None
    assert m.as_dict()["state"] == "open"


def test_testing_mode_swaps_the_clock_of_default_breakers() -> None:
    """Inside `testing()` recovery timeouts pass only when the test advances the clock."""
    breaker = CircuitBreaker(recovery_timeout=3600)
    with testing() as clock:
        breaker.trip()
        with pytest.raises(CircuitOpenError):
            breaker.call(lambda: None)
        clock.advance(3600)
        breaker.call(lambda: None)
        assert breaker.state is CircuitState.HALF_OPEN
    late = CircuitBreaker()
    assert late._clock is not clock


def test_bad_configuration_is_refused_with_every_problem() -> None:
    """Out-of-range settings raise one ConfigurationError naming each problem."""
    with pytest.raises(ConfigurationError) as info:
        CircuitBreaker("x", failure_threshold=0, half_open_max_calls=0, failure_rate_threshold=2)
    text = str(info.value)
    assert "failure_threshold=0" in text
    assert "half_open_max_calls=0" in text
    assert "failure_rate_threshold=2" in text
    assert text.endswith("one value at a time.")


def test_threads_in_half_open_respect_the_trial_limit() -> None:
    """Threads racing into half-open get no more than `half_open_max_calls` trial slots."""
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, half_open_max_calls=3, recovery_timeout=1)
    breaker.trip()
    clock.advance(1)
    release = threading.Event()
    admitted = []
    rejected = []

    def worker() -> None:
        try:
            breaker.call(lambda: (admitted.append(1), release.wait(5)))
        except CircuitOpenError:
            rejected.append(1)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    while len(admitted) + len(rejected) < 16:
        if len(admitted) == 3:
            release.set()
        threading.Event().wait(0.001)
    release.set()
    for t in threads:
        t.join()
    assert len(admitted) <= 3 + 3  # a second wave may start only after the first succeeded
    assert len(rejected) >= 10


def test_open_rejections_do_not_leak_memory() -> None:
    """100,000 rejections of an open breaker leave traced memory where it was."""
    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=1)
    breaker.trip()
    guarded = breaker(lambda: None)

    def reject(n: int) -> None:
        for _ in range(n):
            try:
                guarded()
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
    assert after - before < 4096  # bytes, for all 100,000: nothing kept per rejection


def test_circuit_open_error_pickles_and_keeps_its_context() -> None:
    """The cheap CircuitOpenError still pickles with its name and retry_after."""
    data = pickle.dumps(CircuitOpenError("redis", retry_after=1.5))
    err = pickle.loads(data)  # noqa: S301 - our own bytes
    assert (err.name, err.retry_after) == ("redis", 1.5)


def test_a_listener_may_change_the_state_it_is_told_about() -> None:
    """A listener that resets the breaker from inside a transition does not deadlock."""
    breaker = CircuitBreaker(clock=ManualClock(), failure_threshold=1)
    breaker.add_listener(lambda b, old, new: b.reset() if new is CircuitState.OPEN else None)
    trip(breaker, 1)
    assert breaker.state is CircuitState.CLOSED
    assert breaker.metrics().transitions == 2
