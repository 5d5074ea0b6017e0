"""CompletionNotifier on both backends: delivery, retention, errors, timeouts, cancellation."""

from __future__ import annotations

import asyncio
import random

import anyio
import pytest

from rescope.events import CompletionNotifier, InMemoryNotifier, RedisNotifier, create_notifier
from rescope.exceptions import (
    CompletionFailedError,
    CompletionTimeoutError,
    ConfigurationError,
    EventEncodingError,
    EventsClosedError,
)
from tests.events.fakes import event_tasks, eventually, numsub, wait_numsub

pytestmark = pytest.mark.anyio


async def started(notifier: CompletionNotifier, keys: list[str], waiters: int) -> None:
    """Wait until the waiters are registered and, on Redis, their channels are subscribed."""
    await eventually(lambda: notifier.stats().waiters == waiters)
    if isinstance(notifier, RedisNotifier):
        for _ in range(1000):
            pairs = await notifier._redis.pubsub_numsub(*(notifier.channel(k) for k in keys))
            if all(count >= 1 for _, count in pairs):
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"the channels of {keys} were not subscribed")


async def test_notify_wakes_every_waiter_of_the_key(make_notifier) -> None:
    """Every waiter of a key gets the result; waiters of other keys keep waiting."""
    notifier = make_notifier()
    waiters = [asyncio.create_task(notifier.wait("job", timeout=10)) for _ in range(3)]
    other = asyncio.create_task(notifier.wait("other-job", timeout=10))
    await started(notifier, ["job", "other-job"], waiters=4)
    await notifier.notify("job", {"status": "done", "url": "s3://x"})
    assert await asyncio.gather(*waiters) == [{"status": "done", "url": "s3://x"}] * 3
    assert not other.done()
    other.cancel()


async def test_notify_before_wait_is_kept_for_late_waiters(make_notifier) -> None:
    """A completion that arrives before the wait is returned to every later waiter."""
    notifier = make_notifier()
    await notifier.notify("job", [1, 2, 3])
    assert await notifier.wait("job", timeout=5) == [1, 2, 3]
    assert await notifier.wait("job", timeout=5) == [1, 2, 3]


async def test_retention_zero_keeps_nothing(make_notifier) -> None:
    """With retention=0 a completion nobody waits for is gone: a later wait times out."""
    notifier = make_notifier(retention=0)
    await notifier.notify("job", 1)
    with pytest.raises(CompletionTimeoutError):
        await notifier.wait("job", timeout=0.05)


async def test_notify_error_raises_in_every_waiter(make_notifier) -> None:
    """notify_error makes every waiter raise CompletionFailedError carrying the payload."""
    notifier = make_notifier()
    waiters = [asyncio.create_task(notifier.wait("job", timeout=10)) for _ in range(2)]
    await started(notifier, ["job"], waiters=2)
    await notifier.notify_error("job", ValueError("model crashed"))
    for task in waiters:
        with pytest.raises(CompletionFailedError) as caught:
            await task
        assert caught.value.key == "job"
        assert caught.value.error == {"type": "ValueError", "message": "model crashed"}
        assert "the job for 'job' failed: ValueError: model crashed" in str(caught.value)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"type": "quota", "message": "out of credits", "retry": 30}, None),
        ("provider said no", {"type": "error", "message": "provider said no"}),
    ],
)
async def test_error_payloads_reach_late_waiters(make_notifier, given, expected) -> None:
    """A mapping or a message passed to notify_error is what a late waiter finds in .error."""
    notifier = make_notifier()
    await notifier.notify_error("job", given)
    with pytest.raises(CompletionFailedError) as caught:
        await notifier.wait("job", timeout=5)
    assert caught.value.error == (expected or given)


async def test_timeout_raises_completion_timeout_error(make_notifier) -> None:
    """A wait nobody notifies raises CompletionTimeoutError (a TimeoutError) naming key and time."""
    notifier = make_notifier()
    with pytest.raises(CompletionTimeoutError) as caught:
        await notifier.wait("never", timeout=0.05)
    assert isinstance(caught.value, TimeoutError)
    assert (caught.value.key, caught.value.timeout) == ("never", 0.05)
    assert "no completion for 'never' within 0.05s" in str(caught.value)
    assert notifier.stats().waiters == 0


async def test_default_timeout_applies_when_none_given(make_notifier) -> None:
    """wait() without a timeout uses the notifier's default_timeout."""
    notifier = make_notifier(default_timeout=0.05)
    with pytest.raises(CompletionTimeoutError) as caught:
        await notifier.wait("never")
    assert caught.value.timeout == 0.05


async def test_cancelled_waiters_leave_nothing_behind(make_notifier, backend, shared_redis) -> None:
    """Cancelling many waiters (task.cancel and cancel scopes) leaves no waiter, key or channel."""
    notifier = make_notifier()
    keys = [f"job-{i}" for i in range(20)]
    tasks = [asyncio.create_task(notifier.wait(k, timeout=30)) for k in keys for _ in range(2)]
    await started(notifier, keys, waiters=40)
    with anyio.move_on_after(0.05):
        await notifier.wait("scoped", timeout=30)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert all(task.cancelled() for task in tasks)
    stats = notifier.stats()
    assert (stats.keys, stats.waiters, stats.channels) == (0, 0, 0)
    if backend == "redis":
        channels = [notifier.channel(k) for k in [*keys, "scoped"]]
        await wait_numsub(shared_redis.url, dict.fromkeys(channels, 0))
    # The notifier still works afterwards.
    await notifier.notify("job-0", "late")
    assert await notifier.wait("job-0", timeout=5) == "late"


async def test_two_namespaces_do_not_see_each_other(make_notifier) -> None:
    """Two notifiers (on one Redis, or in one process) never deliver each other's completions."""
    first, second = make_notifier("first"), make_notifier("second")
    waiting = asyncio.create_task(second.wait("job", timeout=10))
    await started(second, ["job"], waiters=1)
    await first.notify("job", "for first only")
    with pytest.raises(CompletionTimeoutError):
        await second.wait("job", timeout=0.1)
    assert not waiting.done()
    assert await first.wait("job", timeout=5) == "for first only"
    await second.notify("job", "for second")
    assert await waiting == "for second"


async def test_concurrent_waiters_and_notifiers_each_get_their_own_result(make_notifier) -> None:
    """Hundreds of keys waited and notified concurrently, in random order, never mix results."""
    notifier = make_notifier()
    keys = [f"job-{i}" for i in range(200)]
    rng = random.Random(7)

    async def waiter(key: str) -> tuple[str, object]:
        await asyncio.sleep(rng.random() / 50)
        return key, await notifier.wait(key, timeout=20)

    async def notifier_of(key: str) -> None:
        await asyncio.sleep(rng.random() / 50)
        await notifier.notify(key, {"key": key})

    results = await asyncio.gather(*map(waiter, keys), *map(notifier_of, keys))
    assert [r for r in results if r is not None] == [(k, {"key": k}) for k in keys]
    assert notifier.stats().waiters == 0


async def test_aclose_wakes_waiters_and_refuses_further_use(make_notifier) -> None:
    """Closing raises EventsClosedError in current waiters and later calls, and ends every task."""
    notifier = make_notifier()
    waiting = asyncio.create_task(notifier.wait("job", timeout=10))
    await started(notifier, ["job"], waiters=1)
    await notifier.aclose()
    with pytest.raises(EventsClosedError):
        await waiting
    with pytest.raises(EventsClosedError, match="cannot notify 'job'"):
        await notifier.notify("job", 1)
    with pytest.raises(EventsClosedError):
        await notifier.wait("job", timeout=1)
    await notifier.aclose()
    assert event_tasks() == []


async def test_redis_results_must_be_json(shared_redis) -> None:
    """The Redis notifier refuses a result it cannot send as JSON, naming the key."""
    async with create_notifier(shared_redis.url, namespace=shared_redis.key("n")) as notifier:
        with pytest.raises(EventEncodingError, match="the result for 'job' cannot be sent"):
            await notifier.notify("job", {1, 2})


async def test_redis_retention_is_a_ttl_on_the_stored_result(shared_redis) -> None:
    """Redis keeps a completion for late waiters under a key whose TTL is the retention."""
    notifier = create_notifier(shared_redis.url, namespace=shared_redis.key("n"), retention=0.5)
    assert isinstance(notifier, RedisNotifier)
    async with notifier:
        await notifier.notify("job", "ok")
        ttl = await notifier._redis.pttl(notifier.channel("job"))
        assert 0 < ttl <= 500
        await notifier.notify("other", "ok")
    keys = await numsub(shared_redis.url, notifier.channel("job"))
    assert keys == {notifier.channel("job"): 0}


async def test_in_memory_retention_expires_and_is_bounded() -> None:
    """In-process completions expire after the retention and never exceed max_retained."""
    now = [0.0]
    notifier = InMemoryNotifier(retention=10.0, max_retained=3, clock=lambda: now[0])
    for i in range(5):
        await notifier.notify(f"job-{i}", i)
    assert notifier.stats().retained == 3
    assert await notifier.wait("job-4", timeout=0) == 4
    with pytest.raises(CompletionTimeoutError):
        await notifier.wait("job-0", timeout=0.01)
    now[0] = 10.5
    assert notifier.stats().retained == 0
    with pytest.raises(CompletionTimeoutError):
        await notifier.wait("job-4", timeout=0.01)


async def test_in_memory_error_keeps_the_original_exception_as_cause() -> None:
    """In-process, the CompletionFailedError's __cause__ is the exception passed to notify_error."""
    notifier = create_notifier()
    original = KeyError("missing")
    await notifier.notify_error("job", original)
    with pytest.raises(CompletionFailedError) as caught:
        await notifier.wait("job", timeout=1)
    assert caught.value.__cause__ is original


@pytest.mark.parametrize("retention", [-1.0, float("nan"), float("inf")])
def test_retention_must_be_finite_and_not_negative(retention) -> None:
    """A negative or non-finite retention is a ConfigurationError naming the setting."""
    with pytest.raises(ConfigurationError) as caught:
        create_notifier(retention=retention)
    assert caught.value.setting == "retention"
