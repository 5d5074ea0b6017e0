"""Operations: health checks for the database, Redis and the breakers, and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from rescope.resilience import (
    BreakerRegistry,
    HealthRegistry,
    PrometheusHook,
    ResilientRedis,
    add_hook,
    get_hooks,
    set_hooks,
)
from rescope.resources import acheck_database


def _database_check(engine: AsyncEngine) -> Any:
    async def database() -> dict[str, Any]:
        report = await acheck_database(engine)
        return {
            "status": "ok" if report.healthy else "down",
            "backend": report.backend,
            "latency_ms": round(report.latency * 1000, 2),
            "error": report.error,
            "pool_checked_out": report.pool.checked_out,
        }

    return database


def embedded_health(engine: AsyncEngine, breakers: BreakerRegistry) -> HealthRegistry:
    """Health checks when everything but the database runs in-process."""
    health = HealthRegistry()
    health.add("database", _database_check(engine), timeout=2.0)
    health.add("redis", lambda: {"status": "ok", "backend": "in-process"}, critical=False)
    health.add_breakers(breakers)
    return health


def redis_health(
    engine: AsyncEngine, breakers: BreakerRegistry, redis: ResilientRedis
) -> HealthRegistry:
    """Health checks with Redis: critical only when the client is STRICT."""
    health = HealthRegistry()
    health.add("database", _database_check(engine), timeout=2.0)
    health.add_redis(redis)
    health.add_breakers(breakers)
    return health


class Metrics:
    """The app's Prometheus registry: breaker states, fallbacks, Redis latency, requests.

    Args:
        registry: The collector registry ``/metrics`` serves.
        hook: rescope's Prometheus hook on that registry.
        breakers: The app's breakers, whose states every scrape publishes.
    """

    def __init__(
        self, registry: CollectorRegistry, hook: PrometheusHook, breakers: BreakerRegistry
    ) -> None:
        self.registry = registry
        self._hook = hook
        self._breakers = breakers
        self.generations = Counter(
            "creator_generations_started_total", "Generation jobs started.", registry=registry
        )

    def render(self) -> bytes:
        """The text exposition format of every metric."""
        self._hook.track(self._breakers)  # breakers made since the last scrape show up too
        return generate_latest(self.registry)


def provide_metrics(breakers: BreakerRegistry) -> Iterator[Metrics]:
    """A registry of the container's own, with rescope's hook on it while the app runs."""
    registry = CollectorRegistry()
    hook = PrometheusHook(registry)
    add_hook(hook)
    try:
        yield Metrics(registry, hook, breakers)
    finally:
        set_hooks([h for h in get_hooks() if h is not hook])
