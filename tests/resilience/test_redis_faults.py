"""Fault tests: a private redis-server is killed, hung and brought back under load."""

from __future__ import annotations

import asyncio
import time

import pytest

from rescope.exceptions import CircuitOpenError, RedisUnavailableError
from rescope.resilience import CircuitState, ManualClock, RedisMode, ResilientRedis

THRESHOLD = 5
TASKS = 8


def make_client(server, clock, **kwargs) -> ResilientRedis:
    return ResilientRedis(
        server.url,
        mode=RedisMode.STRICT,
        failure_threshold=THRESHOLD,
        recovery_timeout=30,
        success_threshold=3,
        socket_timeout=0.25,
        connect_timeout=0.25,
        clock=clock,
        **kwargs,
    )


async def recover(client: ResilientRedis, clock: ManualClock, key: str) -> None:
    clock.advance(30)
    for _ in range(3):
        await client.get(key)


@pytest.mark.anyio
async def test_sigkill_opens_fails_fast_serves_cache_and_recovers(private_redis) -> None:
    """SIGKILL under load opens, fails fast, refuses writes, serves reads, then recovers."""
    clock = ManualClock()
    client = make_client(private_redis, clock)
    await client.set("profile", "ada")
    assert await client.get("profile") == b"ada"

    phase = "up"
    acknowledged_while_down: list[str] = []
    refused = 0
    stop = asyncio.Event()

    async def writer(worker: int) -> None:
        nonlocal refused
        n = 0
        while not stop.is_set():
            started_in = phase
            key = f"load:{worker}:{n}"
            n += 1
            try:
                if await client.set(key, n) and started_in == "down":
                    acknowledged_while_down.append(key)
            except RedisUnavailableError:
                refused += 1
            await asyncio.sleep(0.002)

    tasks = [asyncio.create_task(writer(i)) for i in range(TASKS)]
    await asyncio.sleep(0.1)
    private_redis.kill()
    phase = "down"
    for _ in range(200):
        if client.breaker.state is CircuitState.OPEN:
            break
        await asyncio.sleep(0.01)
    assert client.breaker.state is CircuitState.OPEN
    # In-flight calls of every task may fail at once, but no more than that past the rule.
    assert client.breaker.metrics().failures <= THRESHOLD + TASKS

    rejections = client.breaker.metrics().rejections
    start = time.perf_counter()
    for _ in range(100):
        with pytest.raises(RedisUnavailableError) as info:
            await client.get("profile")
        assert isinstance(info.value.__cause__, CircuitOpenError)
    per_call = (time.perf_counter() - start) / 100
    assert per_call < 0.005  # vs. the 0.25 s socket timeout a network attempt could take
    assert client.breaker.metrics().rejections >= rejections + 100

    assert await client.get("profile", mode=RedisMode.PERMISSIVE) == b"ada"
    assert await client.get("never-cached", mode=RedisMode.PERMISSIVE) is None
    assert await client.set("x", 1, mode=RedisMode.PERMISSIVE) is False
    assert client.fallback_hits >= 3

    stop.set()
    await asyncio.gather(*tasks)
    assert refused > 0
    assert acknowledged_while_down == []

    private_redis.start()
    clock.advance(30)
    assert await client.get("profile") is None  # a fresh server: the data is gone
    assert client.breaker.state is CircuitState.HALF_OPEN
    await client.get("profile")
    await client.get("profile")
    assert client.breaker.state is CircuitState.CLOSED
    assert len(client.cache) == 0  # invalidated on recovery
    await client.aclose()


@pytest.mark.anyio
async def test_sigstop_calls_are_bounded_by_the_timeout_then_fail_fast(private_redis) -> None:
    """SIGSTOP calls end at the socket timeout, then fail fast; SIGCONT brings recovery."""
    clock = ManualClock()
    client = make_client(private_redis, clock)
    await client.set("k", "v")
    private_redis.hang()
    durations = []
    for _ in range(THRESHOLD):
        start = time.perf_counter()
        with pytest.raises(RedisUnavailableError) as info:
            await client.get("k")
        durations.append(time.perf_counter() - start)
        assert "Timeout" in info.value.reason
    assert max(durations) < 1.5  # 0.25 s socket timeout (+ one reconnect), never redis-py's 5 s
    assert client.breaker.state is CircuitState.OPEN
    start = time.perf_counter()
    with pytest.raises(RedisUnavailableError):
        await client.get("k")
    assert time.perf_counter() - start < 0.005
    private_redis.resume()
    await recover(client, clock, "k")
    assert client.breaker.state is CircuitState.CLOSED
    assert await client.get("k") == b"v"
    await client.aclose()


@pytest.mark.anyio
async def test_health_check_reports_a_dead_server(private_redis) -> None:
    """health_check() says down, with the error, when the server is gone."""
    client = make_client(private_redis, ManualClock())
    private_redis.kill()
    report = await client.health_check(timeout=0.5)
    assert report["status"] == "down"
    assert "Connection" in report["error"]
    await client.aclose()


@pytest.mark.anyio
async def test_pipeline_raises_when_redis_is_down_in_both_modes(private_redis) -> None:
    """A pipeline has no fallback result: it raises even for a PERMISSIVE client."""
    client = make_client(private_redis, ManualClock())
    client.mode = RedisMode.PERMISSIVE
    private_redis.kill()
    pipe = client.pipeline()
    pipe.set("a", 1)
    with pytest.raises(RedisUnavailableError, match="PIPELINE"):
        await pipe.execute()
    await client.aclose()
