"""The FastAPI rate-limit dependency and health routes, served by a real uvicorn."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from rescope import Container, Registry
from rescope.exceptions import ConfigurationError, MissingDependencyError
from rescope.fastapi import Inject, Overrides, from_container, setup
from rescope.resilience import (
    BreakerRegistry,
    CircuitBreaker,
    HealthRegistry,
    InMemoryRateLimiter,
    ManualClock,
    RateLimiter,
    RedisMode,
    RedisRateLimiter,
    ResilientRedis,
)
from rescope.resilience.fastapi import health_router, rate_limit
from rescope.testing import Overrides as ContainerOverrides
from tests.servers import free_port


@contextlib.asynccontextmanager
async def serve(app: FastAPI):
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield http
    finally:
        server.should_exit = True
        await task


def user_key(request: Request) -> str:
    return request.headers.get("x-user", "anonymous")


@pytest.mark.anyio
async def test_rate_limit_per_user_answers_429_with_retry_after() -> None:
    """Each user gets its own budget; over it the route answers 429 with Retry-After."""
    limiter = InMemoryRateLimiter(2, 30, clock=ManualClock())
    app = FastAPI()

    @app.get("/search", dependencies=[Depends(rate_limit(limiter, key=user_key))])
    async def search() -> dict:
        return {"ok": True}

    async with serve(app) as http:
        for _ in range(2):
            assert (await http.get("/search", headers={"x-user": "ada"})).status_code == 200
        over = await http.get("/search", headers={"x-user": "ada"})
        assert over.status_code == 429
        assert over.headers["retry-after"] == "30"
        assert over.headers["x-ratelimit-limit"] == "2"
        assert (await http.get("/search", headers={"x-user": "bob"})).status_code == 200


@pytest.mark.anyio
async def test_rate_limit_fails_closed_with_503_when_redis_is_down(private_redis) -> None:
    """A STRICT Redis limiter whose Redis is down answers 503, not 429 and not 200."""
    client = ResilientRedis(private_redis.url, mode=RedisMode.STRICT, connect_timeout=0.2)
    limiter = RedisRateLimiter(client, 10, 60)
    app = FastAPI()

    @app.get("/pay", dependencies=[Depends(rate_limit(limiter))])
    async def pay() -> dict:
        return {"ok": True}

    async with serve(app) as http:
        assert (await http.get("/pay")).status_code == 200
        private_redis.kill()
        assert (await http.get("/pay")).status_code == 503
    await client.aclose()


@pytest.mark.anyio
async def test_health_routes_report_redis_and_breakers(private_redis) -> None:
    """/health, /health/redis and /health/circuit-breakers answer JSON with 200 or 503."""
    breakers = BreakerRegistry()
    client = ResilientRedis(
        private_redis.url,
        mode=RedisMode.PERMISSIVE,
        registry=breakers,
        failure_threshold=1,
        connect_timeout=0.2,
    )
    health = HealthRegistry()
    health.add_redis(client)
    health.add_breakers(breakers)
    app = FastAPI()
    app.include_router(health_router(health))
    async with serve(app) as http:
        ok = await http.get("/health")
        assert ok.status_code == 200
        assert ok.json()["status"] == "ok"
        assert ok.json()["checks"]["redis"]["details"]["circuit"] == "closed"
        private_redis.kill()
        await client.get("k")  # opens the breaker
        overall = await http.get("/health")
        assert overall.status_code == 200  # PERMISSIVE: the service runs on, degraded
        assert overall.json()["status"] == "degraded"
        redis = await http.get("/health/redis")
        assert redis.status_code == 503
        assert redis.json()["checks"]["redis"]["status"] == "down"
        cb = await http.get("/health/circuit-breakers")
        assert cb.status_code == 503
        assert cb.json()["checks"]["circuit-breakers"]["details"]["breakers"]["redis"]["state"] == (
            "open"
        )
    await client.aclose()


def limited_app(source: object, limiter: RateLimiter) -> FastAPI:
    """An app set up on a container that provides ``limiter``, limited through ``source``."""
    app = FastAPI()

    @app.get("/export", dependencies=[Depends(rate_limit(source, key=user_key))])
    async def export(request: Request) -> dict:
        return {"remaining": request.state.rate_limit.remaining}

    registry = Registry()
    registry.value(limiter, provides=RateLimiter)
    setup(app, registry)
    return app


@pytest.mark.parametrize(
    "source",
    [RateLimiter, Inject[RateLimiter], from_container(RateLimiter)],
    ids=["type", "Inject", "from_container"],
)
def test_rate_limit_resolves_the_limiter_from_the_container(source: object) -> None:
    """A type, Inject[T] or from_container(T) takes the container's limiter; 429 is problem+json."""
    app = limited_app(source, InMemoryRateLimiter(2, 30, clock=ManualClock()))
    with TestClient(app) as http:
        ada = {"x-user": "ada"}
        assert [http.get("/export", headers=ada).json() for _ in range(2)] == [
            {"remaining": 1},
            {"remaining": 0},
        ]
        over = http.get("/export", headers=ada)
        assert over.status_code == 429
        assert over.headers["retry-after"] == "30"
        assert over.headers["content-type"] == "application/problem+json"
        assert over.json()["code"] == "rate_limit_exceeded"
        assert http.get("/export", headers={"x-user": "bob"}).status_code == 200


def test_rate_limit_default_resolves_rate_limiter_and_sees_overrides() -> None:
    """rate_limit() resolves RateLimiter per request, so an override replaces it at once."""
    app = FastAPI()

    @app.get("/export", dependencies=[Depends(rate_limit())])
    async def export() -> dict:
        return {"ok": True}

    registry = Registry()
    registry.value(InMemoryRateLimiter(100, 60), provides=RateLimiter)
    setup(app, registry)
    with TestClient(app) as http, Overrides(app) as override:
        assert http.get("/export").status_code == 200
        with override(RateLimiter, InMemoryRateLimiter(1, 60)):
            assert [http.get("/export").status_code for _ in range(2)] == [200, 429]
        assert http.get("/export").status_code == 200


def test_rate_limit_injected_strict_redis_limiter_answers_503_when_redis_is_down(
    private_redis,
) -> None:
    """A STRICT Redis limiter from the container answers 503 problem+json once Redis is killed."""
    client = ResilientRedis(private_redis.url, mode=RedisMode.STRICT, connect_timeout=0.2)
    app = limited_app(RateLimiter, RedisRateLimiter(client, 10, 60))
    with TestClient(app) as http:
        assert http.get("/export").status_code == 200
        private_redis.kill()
        down = http.get("/export")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert down.json()["code"] == "redis_unavailable"
        asyncio.run(client.aclose())


def test_rate_limit_rejects_what_cannot_give_a_limiter() -> None:
    """A value that is neither a limiter nor a way to resolve one fails at route definition."""
    with pytest.raises(ConfigurationError, match="neither a RateLimiter"):
        rate_limit("per-user")


def health_app(source: object, health: HealthRegistry) -> FastAPI:
    """An app set up on a container that provides ``health``, served through ``source``."""
    app = FastAPI()
    app.include_router(health_router(source) if source is not None else health_router())
    registry = Registry()
    registry.value(health)
    setup(app, registry)
    return app


@pytest.mark.parametrize(
    "source",
    [None, HealthRegistry, Inject[HealthRegistry], from_container(HealthRegistry)],
    ids=["default", "type", "Inject", "from_container"],
)
def test_health_router_resolves_the_registry_from_the_container(source: object) -> None:
    """Each injected form serves the container's HealthRegistry: 200 while up, 503 when down."""
    breakers = BreakerRegistry()
    breaker = breakers.breaker("search", failure_threshold=1)
    state = {"database": True}
    health = HealthRegistry()
    health.add("database", lambda: state["database"])
    health.add_breakers(breakers)
    with TestClient(health_app(source, health)) as http:
        ok = http.get("/health")
        assert (ok.status_code, ok.json()["status"]) == (200, "ok")
        assert http.get("/health/circuit-breakers").status_code == 200
        breaker.trip()
        assert http.get("/health/circuit-breakers").status_code == 503
        assert http.get("/health").json()["status"] == "degraded"
        state["database"] = False
        down = http.get("/health")
        assert (down.status_code, down.json()["status"]) == (503, "down")


def test_health_router_needs_a_registry_in_the_container_at_startup() -> None:
    """An app whose container cannot provide HealthRegistry fails to start, not on a request."""
    app = FastAPI()
    app.include_router(health_router())
    setup(app, Registry())
    with pytest.raises(MissingDependencyError, match="HealthRegistry"), TestClient(app):
        pass


def test_health_router_object_form_needs_no_container() -> None:
    """health_router(registry) still serves a registry given as an object, with no setup."""
    health = HealthRegistry()
    health.add("database", lambda: True)
    app = FastAPI()
    app.include_router(health_router(health, prefix="/status"))
    with TestClient(app) as http:
        assert http.get("/status").json()["status"] == "ok"


class ImageClient:
    """What the gateway calls; tests replace it."""


class GatewayByName:
    """The fragile form: configures its breaker by name in ``__init__``."""

    def __init__(self, breakers: BreakerRegistry, client: ImageClient) -> None:
        self.breaker = breakers.breaker("image-api-by-name", failure_threshold=3)
        self.client = client


def provide_breaker(breakers: BreakerRegistry) -> CircuitBreaker:
    return breakers.breaker("image-api", failure_threshold=3)


class Gateway:
    """The robust form: receives the breaker its provider created once."""

    def __init__(self, breaker: CircuitBreaker, client: ImageClient) -> None:
        self.breaker = breaker
        self.client = client


def test_a_breaker_configured_in_init_fails_when_an_override_rebuilds_the_service() -> None:
    """Rebuilding a service that configures its breaker by name raises; a breaker provider won't."""
    registry = Registry()
    registry.add(BreakerRegistry)
    registry.add(ImageClient)
    registry.add(GatewayByName)
    registry.add(provide_breaker)
    registry.add(Gateway)
    with Container(registry) as container:
        container.get(GatewayByName)
        gateway = container.get(Gateway)
        with ContainerOverrides(container) as override:
            override(ImageClient, ImageClient())
            with pytest.raises(ConfigurationError, match="exists already"):
                container.get(GatewayByName)
            rebuilt = container.get(Gateway)
            assert rebuilt is not gateway
            assert rebuilt.breaker is gateway.breaker
