"""Rate limiters: in-process and on Redis (one Lua script), and their outage policy."""

from __future__ import annotations

import asyncio

import pytest

from rescope.exceptions import ConfigurationError, RateLimitExceededError, RedisUnavailableError
from rescope.resilience import (
    InMemoryRateLimiter,
    ManualClock,
    RedisMode,
    RedisRateLimiter,
    ResilientRedis,
)


@pytest.mark.anyio
async def test_in_memory_window_slides() -> None:
    """Three calls per 10 s: the fourth waits for the oldest to leave the window."""
    clock = ManualClock()
    limiter = InMemoryRateLimiter(3, 10, clock=clock)
    for remaining in (2, 1, 0):
        decision = await limiter.hit("ada")
        assert decision.allowed
        assert decision.remaining == remaining
        clock.advance(2)
    denied = await limiter.hit("ada")
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(4)
    assert (await limiter.hit("bob")).allowed  # keys are independent
    clock.advance(4)
    assert (await limiter.hit("ada")).allowed


@pytest.mark.anyio
async def test_check_raises_with_retry_after() -> None:
    """check() raises RateLimitExceededError naming the key, limit and wait."""
    limiter = InMemoryRateLimiter(1, 60, clock=ManualClock())
    await limiter.check("k")
    with pytest.raises(RateLimitExceededError) as info:
        await limiter.check("k")
    assert info.value.retry_after == pytest.approx(60)
    assert "1 calls per 60s" in str(info.value)


def test_in_memory_limiter_forgets_idle_keys() -> None:
    """Keys idle for a whole window are swept, so memory does not grow with old keys."""
    clock = ManualClock()
    limiter = InMemoryRateLimiter(5, 1, clock=clock)
    for i in range(5000):
        limiter.hit_now(f"user-{i}")
    clock.advance(2)
    for _ in range(4096):
        limiter.hit_now("active")
    assert len(limiter) < 100


def test_a_limit_that_allows_nothing_is_refused() -> None:
    """limit=0 or window=0 is a configuration error."""
    with pytest.raises(ConfigurationError):
        InMemoryRateLimiter(0, 10)


@pytest.mark.anyio
async def test_redis_limiter_counts_across_clients(shared_redis) -> None:
    """Two clients (as two workers would) share one window through the Lua script."""
    a = ResilientRedis(shared_redis.url)
    b = ResilientRedis(shared_redis.url)
    la = RedisRateLimiter(a, 5, 60, prefix=shared_redis.key("rl:"))
    lb = RedisRateLimiter(b, 5, 60, prefix=shared_redis.key("rl:"))
    results = await asyncio.gather(*(lim.hit("ada") for lim in [la, lb] * 5))
    assert sum(r.allowed for r in results) == 5
    denied = [r for r in results if not r.allowed]
    assert all(0 < r.retry_after <= 60 for r in denied)
    assert await a.zcard(shared_redis.key("rl:ada")) == 5
    assert 0 < await a.ttl(shared_redis.key("rl:ada")) <= 60
    await a.aclose()
    await b.aclose()


@pytest.mark.anyio
async def test_redis_limiter_window_expires(shared_redis) -> None:
    """After the window passes, calls are allowed again (server time decides)."""
    client = ResilientRedis(shared_redis.url)
    limiter = RedisRateLimiter(client, 2, 0.2, prefix=shared_redis.key("rl:"))
    assert (await limiter.hit("k")).allowed
    assert (await limiter.hit("k")).allowed
    assert not (await limiter.hit("k")).allowed
    await asyncio.sleep(0.25)
    assert (await limiter.hit("k")).allowed
    await client.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mode", "fail_open", "allowed"),
    [
        (RedisMode.PERMISSIVE, None, True),
        (RedisMode.STRICT, None, False),
        (RedisMode.STRICT, True, True),
        (RedisMode.PERMISSIVE, False, False),
    ],
)
async def test_outage_policy_follows_the_mode(private_redis, mode, fail_open, allowed) -> None:
    """With Redis down, PERMISSIVE fails open (degraded) and STRICT fails closed (raises)."""
    client = ResilientRedis(private_redis.url, mode=mode, socket_timeout=0.2, connect_timeout=0.2)
    limiter = RedisRateLimiter(client, 1, 60, fail_open=fail_open)
    private_redis.kill()
    if allowed:
        decision = await limiter.hit("k")
        assert decision.allowed
        assert decision.degraded
    else:
        with pytest.raises(RedisUnavailableError, match="EVALSHA"):
            await limiter.hit("k")
    await client.aclose()
