"""FastAPI pieces of resilience: a rate-limit dependency and the health routes.

Needs ``rescope[fastapi]``::

    limiter = InMemoryRateLimiter(limit=100, window=60)

    @app.get("/search", dependencies=[Depends(rate_limit(limiter))])
    async def search(q: str) -> list[str]: ...

    app.include_router(health_router(health))
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from rescope._extras import import_extra as _import_extra

_import_extra("fastapi", extra="fastapi", module=__name__)

from fastapi import APIRouter, HTTPException, Request  # noqa: E402 - after the extra check
from fastapi.responses import JSONResponse  # noqa: E402

from rescope.exceptions import RedisUnavailableError as _RedisUnavailableError  # noqa: E402
from rescope.resilience._health import HealthRegistry as _HealthRegistry  # noqa: E402
from rescope.resilience._ratelimit import RateLimitDecision as _Decision  # noqa: E402
from rescope.resilience._ratelimit import RateLimiter as _RateLimiter  # noqa: E402

__all__ = ["client_key", "health_router", "rate_limit"]

_KeyFunc = Callable[[Request], "str | Awaitable[str]"]


def client_key(request: Request) -> str:
    """The default rate-limit key: the client's address and the route's path template."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    host = request.client.host if request.client else "unknown"
    return f"{host}:{request.method}:{path}"


def rate_limit(
    limiter: _RateLimiter, *, key: _KeyFunc = client_key
) -> Callable[[Request], Awaitable[_Decision]]:
    """Return a dependency that counts each request against ``limiter``.

    Over the limit it answers 429 with ``Retry-After``; when the limiter's store is down
    and it fails closed, 503. Use ``key`` to limit per user (``lambda r:
    r.headers["x-user"]``) or per anything else a request carries.

    Args:
        limiter: An in-process or Redis limiter.
        key: Maps a request to the limited key (sync or async).
    """

    async def dependency(request: Request) -> _Decision:
        value = key(request)
        name = await value if inspect.isawaitable(value) else value
        try:
            decision = await limiter.hit(name)
        except _RedisUnavailableError as exc:
            raise HTTPException(
                status_code=503,
                detail="the rate limiter cannot reach its store",
                headers={"Retry-After": "1"},
            ) from exc
        request.state.rate_limit = decision
        if not decision.allowed:
            retry = max(1, round(decision.retry_after + 0.499))
            raise HTTPException(
                status_code=429,
                detail=f"rate limit exceeded: {decision.limit} per {limiter.window:g}s",
                headers={
                    "Retry-After": str(retry),
                    "X-RateLimit-Limit": str(decision.limit),
                    "X-RateLimit-Remaining": "0",
                },
            )
        return decision

    return dependency


def health_router(health: _HealthRegistry, *, prefix: str = "/health") -> APIRouter:
    """Return a router with ``/health``, ``/health/redis`` and ``/health/circuit-breakers``.

    Each answers JSON ``{"status": ..., "checks": {...}}`` with 200, or 503 when down:
    ``/health`` is down when a critical check is; the other two when any of their checks
    is.

    Args:
        health: The health registry to run.
        prefix: Where to mount the routes.
    """
    router = APIRouter(prefix=prefix, tags=["health"])

    async def respond(tags: set[str] | None, *, strict: bool) -> JSONResponse:
        report = await health.run(tags=tags, strict=strict)
        return JSONResponse(report.as_dict(), status_code=report.http_status)

    @router.get("")
    async def overall() -> JSONResponse:
        return await respond(None, strict=False)

    @router.get("/redis")
    async def redis() -> JSONResponse:
        return await respond({"redis"}, strict=True)

    @router.get("/circuit-breakers")
    async def circuit_breakers() -> JSONResponse:
        return await respond({"circuit-breakers"}, strict=True)

    return router
