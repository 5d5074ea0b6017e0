"""The FastAPI rate-limit dependency and health routes, served by a real uvicorn."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Request

from rescope.resilience import (
    BreakerRegistry,
    HealthRegistry,
    InMemoryRateLimiter,
    ManualClock,
    RedisMode,
    RedisRateLimiter,
    ResilientRedis,
)
from rescope.resilience.fastapi import health_router, rate_limit
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
