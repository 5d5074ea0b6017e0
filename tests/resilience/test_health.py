"""The health registry: statuses, timeouts, criticality, Redis and breaker checks."""

from __future__ import annotations

import asyncio
import time

import pytest

from rescope.exceptions import ConfigurationError
from rescope.resilience import BreakerRegistry, HealthRegistry, RedisMode, ResilientRedis


@pytest.mark.anyio
async def test_sync_and_async_checks_and_their_outcomes() -> None:
    """None/True are ok, False and errors are down, dicts carry status and details."""
    health = HealthRegistry()

    async def db() -> dict:
        return {"status": "ok", "pool": 5}

    def cache() -> bool:
        return True

    def queue() -> None:
        raise ConnectionError("refused")

    health.add("db", db)
    health.add("cache", cache)
    health.add("queue", queue, critical=False)
    health.add("search", lambda: {"status": "degraded"})
    report = await health.run()
    assert report.checks["db"].details == {"status": "ok", "pool": 5}
    assert report.checks["cache"].status == "ok"
    assert report.checks["queue"].status == "down"
    assert report.checks["queue"].error == "ConnectionError: refused"
    assert report.checks["search"].status == "degraded"
    assert report.status == "degraded"  # the down check is not critical
    assert report.http_status == 200
    strict = await health.run(strict=True)
    assert strict.status == "down"
    assert strict.http_status == 503


@pytest.mark.anyio
async def test_a_hanging_check_times_out_without_holding_the_others() -> None:
    """A check past its timeout is down, and the run takes about that timeout, not more."""
    health = HealthRegistry()

    async def hang() -> None:
        await asyncio.sleep(10)

    def slow_sync() -> None:
        time.sleep(0.3)

    health.add("hang", hang, timeout=0.1)
    health.add("slow", slow_sync, timeout=0.05)
    health.add("fine", lambda: True)
    report = await health.run()
    assert report.checks["hang"].error == "timed out after 0.1s"
    assert report.checks["slow"].status == "down"
    assert report.checks["fine"].status == "ok"
    assert report.status == "down"


def test_duplicate_names_are_refused() -> None:
    """Two checks with one name are a configuration error."""
    health = HealthRegistry()
    health.add("db", lambda: True)
    with pytest.raises(ConfigurationError, match="already registered"):
        health.add("db", lambda: True)


@pytest.mark.anyio
async def test_breaker_check_reports_open_breakers() -> None:
    """The breakers check lists every breaker and is down while one is open."""
    breakers = BreakerRegistry()
    breakers.breaker("payments")
    breakers.breaker("search").trip()
    health = HealthRegistry()
    health.add_breakers(breakers)
    report = await health.run(tags={"circuit-breakers"}, strict=True)
    assert report.status == "down"
    details = report.checks["circuit-breakers"].details
    assert details["breakers"]["search"]["state"] == "open"
    assert details["breakers"]["payments"]["state"] == "closed"
    assert (await health.run()).status == "degraded"  # not critical by default


@pytest.mark.anyio
async def test_redis_check_is_critical_only_in_strict_mode(private_redis) -> None:
    """A dead Redis makes /health down for a STRICT client, degraded for a PERMISSIVE one."""
    health = HealthRegistry()
    strict = ResilientRedis(private_redis.url, mode=RedisMode.STRICT, connect_timeout=0.2)
    loose = ResilientRedis(private_redis.url, mode=RedisMode.PERMISSIVE, connect_timeout=0.2)
    health.add_redis(strict, name="strict")
    health.add_redis(loose, name="loose")
    assert (await health.run()).status == "ok"
    private_redis.kill()
    report = await health.run()
    assert report.status == "down"
    assert report.checks["loose"].status == "down"
    assert not report.checks["loose"].critical
    health.remove("strict")
    assert (await health.run()).status == "degraded"
    await strict.aclose()
    await loose.aclose()
