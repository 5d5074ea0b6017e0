"""The resilient Redis client against the shared Redis: commands, cache, modes, extras."""

from __future__ import annotations

import logging

import pytest

from rescope.exceptions import ConfigurationError, RedisUnavailableError
from rescope.resilience import BreakerRegistry, CircuitState, RedisMode, ResilientRedis


@pytest.fixture(name="client")
async def fixture_client(shared_redis):
    client = ResilientRedis(shared_redis.url, mode=RedisMode.STRICT)
    yield client
    await client.aclose()


@pytest.mark.anyio
async def test_string_and_key_commands(client, shared_redis) -> None:
    """get/set/exists/expire/ttl/incr/delete behave as redis-py's and fill the cache."""
    key = shared_redis.key("greeting")
    assert await client.get(key) is None
    assert await client.set(key, "hello", ex=60) is True
    assert await client.get(key) == b"hello"
    assert client.cache.peek(key) == b"hello"
    assert await client.exists(key) == 1
    assert await client.expire(key, 120) is True
    assert 100 < await client.ttl(key) <= 120
    counter = shared_redis.key("counter")
    assert await client.incr(counter) == 1
    assert await client.incr(counter, 5) == 6
    assert await client.delete(key, counter) == 2
    assert key not in client.cache


@pytest.mark.anyio
async def test_hash_and_sorted_set_commands(client, shared_redis) -> None:
    """Hashes and sorted sets go through the client and return redis-py's values."""
    h = shared_redis.key("user:1")
    assert await client.hset(h, mapping={"name": "ada", "plan": "pro"}) == 2
    assert await client.hget(h, "name") == b"ada"
    assert await client.hgetall(h) == {b"name": b"ada", b"plan": b"pro"}
    assert await client.hdel(h, "plan") == 1
    z = shared_redis.key("scores")
    assert await client.zadd(z, {"a": 1, "b": 2, "c": 3}) == 3
    assert await client.zcard(z) == 3
    assert await client.zrange(z, 0, -1) == [b"a", b"b", b"c"]
    assert await client.zremrangebyscore(z, 0, 2) == 2
    assert await client.zrange(z, 0, -1, withscores=True) == [(b"c", 3.0)]


@pytest.mark.anyio
async def test_pipeline_is_one_breaker_call(client, shared_redis) -> None:
    """A pipeline's commands run as one call through the breaker."""
    key = shared_redis.key("p")
    before = client.breaker.metrics().calls
    async with client.pipeline() as pipe:
        pipe.set(key, "1").incr(key)
        pipe.get(key)
        assert await pipe.execute() == [True, 2, b"2"]
    assert client.breaker.metrics().calls == before + 1


@pytest.mark.anyio
async def test_lua_script_runs_through_the_breaker(client, shared_redis) -> None:
    """A registered Lua script runs with KEYS and ARGV (loaded on demand)."""
    script = client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    key = shared_redis.key("lua")
    assert await script(keys=[key], args=[3]) == 3
    assert await script(keys=[key], args=[4]) == 7


@pytest.mark.anyio
async def test_publish_reaches_a_subscriber(client, shared_redis) -> None:
    """publish() goes through the breaker and pubsub() subscribers receive it."""
    channel = shared_redis.key("events")
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    assert await client.publish(channel, "hi") == 1
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
    assert message is not None
    assert message["data"] == b"hi"
    await pubsub.aclose()


@pytest.mark.anyio
async def test_wrong_type_errors_are_not_failures(client, shared_redis) -> None:
    """A WRONGTYPE reply is the caller's mistake: it propagates and never trips the breaker."""
    import redis.exceptions

    key = shared_redis.key("str")
    await client.set(key, "x")
    for _ in range(10):
        with pytest.raises(redis.exceptions.ResponseError):
            await client.hget(key, "f")
    assert client.breaker.state is CircuitState.CLOSED


@pytest.mark.anyio
async def test_health_check_reports_latency_and_circuit(client) -> None:
    """health_check() reports ok, a latency, the circuit state and no error."""
    report = await client.health_check()
    assert report["status"] == "ok"
    assert report["circuit"] == "closed"
    assert report["error"] is None
    assert report["latency_ms"] > 0


@pytest.mark.anyio
async def test_breaker_is_registered_for_health_pages(shared_redis) -> None:
    """A client given a registry registers its breaker there under its name."""
    registry = BreakerRegistry()
    client = ResilientRedis(shared_redis.url, registry=registry, name="cache")
    assert registry.get("cache") is client.breaker
    await client.aclose()


def test_mode_comes_from_the_environment(monkeypatch) -> None:
    """REDIS_SECURITY_MODE picks the default mode; STRICT when unset; junk is refused."""
    monkeypatch.delenv("REDIS_SECURITY_MODE", raising=False)
    assert RedisMode.from_env() is RedisMode.STRICT
    monkeypatch.setenv("REDIS_SECURITY_MODE", "Permissive")
    assert RedisMode.from_env() is RedisMode.PERMISSIVE
    assert ResilientRedis().mode is RedisMode.PERMISSIVE
    monkeypatch.setenv("REDIS_SECURITY_MODE", "lenient")
    with pytest.raises(ConfigurationError, match="REDIS_SECURITY_MODE=permissive"):
        RedisMode.from_env()


@pytest.mark.anyio
async def test_per_call_mode_overrides_the_client_mode(tmp_path, caplog) -> None:
    """A STRICT client serves a PERMISSIVE call's fallback, and the reverse raises."""
    from tests.servers import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    strict = ResilientRedis(url, mode="strict")
    with pytest.raises(RedisUnavailableError) as info:
        await strict.get("k")
    assert info.value.command == "GET"
    assert "ConnectionError" in info.value.reason
    with caplog.at_level(logging.WARNING, logger="rescope.resilience"):
        assert await strict.get("k", mode=RedisMode.PERMISSIVE) is None
        assert await strict.set("k", "v", mode="permissive") is False
    assert "PERMISSIVE" in caplog.text
    permissive = ResilientRedis(url, mode="permissive")
    with pytest.raises(RedisUnavailableError):
        await permissive.set("k", "v", mode=RedisMode.STRICT)
    await strict.aclose()
    await permissive.aclose()


def test_missing_redis_extra_names_it(monkeypatch) -> None:
    """Without redis installed the client says to install rescope[redis]."""
    import sys

    from rescope.exceptions import MissingExtraError

    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(MissingExtraError, match=r"rescope\[redis\]"):
        ResilientRedis()
