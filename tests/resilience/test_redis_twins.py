"""The async client and its sync twin run the same commands, cache and modes."""

from __future__ import annotations

import inspect
import logging

import pytest

from rescope.exceptions import CircuitOpenError, RedisUnavailableError
from rescope.resilience import (
    CircuitState,
    ManualClock,
    RedisMode,
    ResilientRedis,
    ResilientRedisSync,
    testing,
)


async def do(result):
    """Await a coroutine from the async client; pass a sync client's value through."""
    return await result if inspect.isawaitable(result) else result


async def close(client) -> None:
    await do(client.aclose() if isinstance(client, ResilientRedis) else client.close())


def make(kind: str, url: str, **kwargs):
    cls = ResilientRedis if kind == "async" else ResilientRedisSync
    return cls(url, socket_timeout=0.25, connect_timeout=0.25, **kwargs)


KINDS = ["async", "sync"]


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_both_clients_give_redis_py_answers_and_fill_the_cache(kind, shared_redis) -> None:
    """Strings, hashes, sorted sets, pipelines and scripts answer alike in both clients."""
    client = make(kind, shared_redis.url, mode="strict")
    key, h, z = shared_redis.key("k"), shared_redis.key("h"), shared_redis.key("z")
    assert await do(client.set(key, "v", ex=60)) is True
    assert await do(client.get(key)) == b"v"
    assert client.cache.peek(key) == b"v"
    assert await do(client.exists(key)) == 1
    assert 0 < await do(client.ttl(key)) <= 60
    assert await do(client.incr(shared_redis.key("n"), 2)) == 2
    assert await do(client.hset(h, mapping={"a": "1"})) == 1
    assert await do(client.hgetall(h)) == {b"a": b"1"}
    assert await do(client.zadd(z, {"m": 1})) == 1
    assert await do(client.zrange(z, 0, -1, withscores=True)) == [(b"m", 1.0)]
    pipe = client.pipeline()
    pipe.incr(shared_redis.key("n")).get(shared_redis.key("n"))
    assert await do(pipe.execute()) == [3, b"3"]
    script = client.register_script("return redis.call('GET', KEYS[1])")
    assert await do(script(keys=[key])) == b"v"
    assert await do(client.ping()) is True
    report = await do(client.health_check())
    assert (report["status"], report["circuit"], report["error"]) == ("ok", "closed", None)
    assert await do(client.delete(key, h, z, shared_redis.key("n"))) == 4
    await close(client)


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_both_clients_fail_fast_degrade_and_recover_after_sigkill(
    kind, private_redis, caplog
) -> None:
    """Killed Redis: STRICT raises, PERMISSIVE serves the cache, then trials close it again."""
    clock = ManualClock()
    client = make(kind, private_redis.url, mode="strict", failure_threshold=2, clock=clock)
    await do(client.set("profile", "ada"))
    assert await do(client.get("profile")) == b"ada"
    private_redis.kill()
    for _ in range(2):
        with pytest.raises(RedisUnavailableError) as info:
            await do(client.set("order", "paid"))
        assert "ConnectionError" in info.value.reason
    assert client.breaker.state is CircuitState.OPEN
    with pytest.raises(RedisUnavailableError) as info:
        await do(client.get("profile"))
    assert isinstance(info.value.__cause__, CircuitOpenError)
    with caplog.at_level(logging.WARNING, logger="rescope.resilience"):
        assert await do(client.get("profile", mode=RedisMode.PERMISSIVE)) == b"ada"
        assert await do(client.set("order", "paid", mode="permissive")) is False
    assert client.fallback_hits == 2
    assert "PERMISSIVE" in caplog.text
    private_redis.start()
    clock.advance(30)
    for _ in range(3):
        assert await do(client.get("profile")) is None  # a fresh server: the data is gone
    assert client.breaker.state is CircuitState.CLOSED
    assert len(client.cache) == 0
    await close(client)


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_pipeline_writes_invalidate_their_keys_in_the_cache(kind, shared_redis) -> None:
    """Keys written inside a pipeline leave the fallback cache; keys only read there stay."""
    client = make(kind, shared_redis.url)
    a, b, c, d = (shared_redis.key(x) for x in "abcd")
    for key in (a, b, c, d):
        await do(client.set(key, "old"))
        assert await do(client.get(key)) == b"old"
    pipe = client.pipeline()
    pipe.set(a, "new").get(b).delete(c, d)
    assert await do(pipe.execute()) == [True, b"old", 2]
    assert a not in client.cache
    assert client.cache.peek(b) == b"old"
    assert c not in client.cache
    assert d not in client.cache
    pipe = client.pipeline(transaction=False)
    pipe.mset({b: "x", c: "y"})
    await do(pipe.execute())
    assert b not in client.cache
    await do(client.get(a))
    await do(client.get(b))
    pipe = client.pipeline()
    pipe.rename(a, b)
    await do(pipe.execute())
    assert a not in client.cache
    assert b not in client.cache  # the destination was overwritten too
    await close(client)


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_script_calls_invalidate_their_keys_unless_read_only(kind, shared_redis) -> None:
    """A Lua script's KEYS leave the fallback cache; a read-only script keeps them."""
    client = make(kind, shared_redis.url)
    key = shared_redis.key("counter")
    await do(client.set(key, "1"))
    await do(client.get(key))
    reader = client.register_script("return redis.call('GET', KEYS[1])", read_only=True)
    assert await do(reader(keys=[key])) == b"1"
    assert client.cache.peek(key) == b"1"
    bump = client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert await do(bump(keys=[key], args=[4])) == 5
    assert key not in client.cache
    await close(client)


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_a_pipeline_write_is_never_served_stale_once_redis_is_down(
    kind, private_redis
) -> None:
    """After a pipeline wrote a key, an outage serves nothing for it rather than the old value."""
    client = make(kind, private_redis.url, mode="permissive", clock=ManualClock())
    await do(client.set("plan", "free"))
    assert await do(client.get("plan")) == b"free"
    pipe = client.pipeline()
    pipe.set("plan", "pro")
    await do(pipe.execute())
    private_redis.kill()
    assert await do(client.get("plan")) is None
    await close(client)


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_testing_mode_drives_the_fallback_cache_ttls(kind, private_redis) -> None:
    """Inside testing(), a cached value expires exactly when the manual clock passes its TTL."""
    with testing() as clock:
        client = make(kind, private_redis.url, mode="permissive", failure_threshold=1)
        await do(client.set("token", "t0", ex=10))
        assert client.cache.remaining("token") == 10
        private_redis.kill()
        clock.advance(9.5)
        assert await do(client.get("token")) == b"t0"
        clock.advance(1)
        assert await do(client.get("token")) is None
        assert client.breaker.state is CircuitState.OPEN
        await close(client)


@pytest.mark.anyio
async def test_the_health_registry_checks_a_sync_client(shared_redis, private_redis) -> None:
    """add_redis() takes the sync twin: its ping runs in a thread and a dead server is down."""
    from rescope.resilience import HealthRegistry

    health = HealthRegistry()
    live = ResilientRedisSync(shared_redis.url, mode="strict")
    dead = ResilientRedisSync(private_redis.url, mode="strict", connect_timeout=0.2)
    health.add_redis(live, name="cache")
    health.add_redis(dead, name="sessions")
    private_redis.kill()
    report = await health.run()
    assert report.checks["cache"].status == "ok"
    assert report.checks["sessions"].status == "down"
    assert report.http_status == 503
    live.close()
    dead.close()


def test_the_sync_twin_names_the_missing_extra(monkeypatch) -> None:
    """Without redis installed the sync client says to install rescope[redis]."""
    import sys

    from rescope.exceptions import MissingExtraError

    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(MissingExtraError, match=r"rescope\[redis\]"):
        ResilientRedisSync()
