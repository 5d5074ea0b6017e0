"""FastAPI pieces of resilience: a rate-limit dependency and the health routes.

Needs ``rescope[fastapi]``. Each takes the object itself, or resolves it from the
container of :func:`rescope.fastapi.setup` when given a type (the default)::

    limiter = InMemoryRateLimiter(limit=100, window=60)

    @app.get("/search", dependencies=[Depends(rate_limit(limiter))])
    async def search(q: str) -> list[str]: ...

    @app.post("/export", dependencies=[Depends(rate_limit(key=user_of))])  # RateLimiter
    async def export() -> None: ...                                        # from the container

    app.include_router(health_router())  # the container's HealthRegistry
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from rescope._extras import import_extra as _import_extra

_import_extra("fastapi", extra="fastapi", module=__name__)

from fastapi import APIRouter, HTTPException, Request  # noqa: E402 - after the extra check
from fastapi.params import Depends as _DependsParam  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

from rescope.exceptions import ConfigurationError as _ConfigurationError  # noqa: E402
from rescope.exceptions import RateLimitExceededError as _RateLimitExceededError  # noqa: E402
from rescope.exceptions import RedisUnavailableError as _RedisUnavailableError  # noqa: E402
from rescope.exceptions import RescopeError as _RescopeError  # noqa: E402
from rescope.fastapi import from_container as _from_container  # noqa: E402
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


def _marker(source: object, kind: type[Any], *, argument: str) -> Any:
    """The ``Depends`` marker that resolves ``source`` (a type, ``Inject[T]`` or a marker)."""
    if isinstance(source, _DependsParam):
        return source
    if typing.get_origin(source) is typing.Annotated:
        markers = [m for m in source.__metadata__ if isinstance(m, _DependsParam)]  # type: ignore[attr-defined]
        if markers:
            return markers[-1]
    if isinstance(source, type):
        return _from_container(source)
    raise _ConfigurationError(
        f"{argument}={source!r} is neither a {kind.__name__} nor a way to resolve one.",
        setting=argument,
        hint=f"passing the {kind.__name__} itself, its type to resolve from the container"
        f" (`{kind.__name__}` or a subclass), `Inject[{kind.__name__}]` or"
        f" `from_container({kind.__name__})`.",
    )


def _answers_problems(request: Request) -> bool:
    """Whether the app renders rescope's errors as problem+json (``rescope.fastapi.setup``)."""
    handlers = getattr(request.app, "exception_handlers", {})
    return any(isinstance(kind, type) and issubclass(kind, _RescopeError) for kind in handlers)


async def _hit(limiter: _RateLimiter, key: _KeyFunc, request: Request) -> _Decision:
    """Count ``request`` against ``limiter``; raise 429 (or 503 when its store is down)."""
    name = key(request)
    if inspect.isawaitable(name):
        name = await name
    try:
        decision = await limiter.hit(name)
    except _RedisUnavailableError as exc:
        if _answers_problems(request):
            raise
        raise HTTPException(
            status_code=503,
            detail="the rate limiter cannot reach its store",
            headers={"Retry-After": "1"},
        ) from exc
    request.state.rate_limit = decision
    if not decision.allowed:
        if _answers_problems(request):
            raise _RateLimitExceededError(
                name,
                limit=decision.limit,
                window=limiter.window,
                retry_after=decision.retry_after,
            )
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


def rate_limit(
    limiter: _RateLimiter | type[_RateLimiter] | Any = _RateLimiter, *, key: _KeyFunc = client_key
) -> Callable[..., Awaitable[_Decision]]:
    """Return a dependency that counts each request against a limiter.

    Over the limit it answers 429 with ``Retry-After``; when the limiter's store is down
    and it fails closed, 503. In an app set up with :func:`rescope.fastapi.setup` both
    are problem+json (it raises :class:`~rescope.exceptions.RateLimitExceededError` or
    lets :class:`~rescope.exceptions.RedisUnavailableError` through); elsewhere they are
    FastAPI's ``HTTPException``. Use ``key`` to limit per user (``lambda r:
    r.headers["x-user"]``) or per anything else a request carries. The dependency returns
    the :class:`RateLimitDecision` (also kept as ``request.state.rate_limit``).

    Args:
        limiter: The limiter itself; or what resolves it from the container of
            :func:`rescope.fastapi.setup`, per request: its type (the default,
            ``RateLimiter``, or the key it is registered under), ``Inject[T]`` or
            ``from_container(T)``.
        key: Maps a request to the limited key (sync or async).

    Raises:
        ConfigurationError: ``limiter`` is neither a limiter nor a way to resolve one.
    """
    if isinstance(limiter, _RateLimiter):
        fixed = limiter

        async def dependency(request: Request) -> _Decision:
            return await _hit(fixed, key, request)

        return dependency

    marker = _marker(limiter, _RateLimiter, argument="limiter")

    async def injected(request: Request, limiter: _RateLimiter = marker) -> _Decision:
        return await _hit(limiter, key, request)

    return injected


async def _respond(health: _HealthRegistry, tags: set[str] | None, *, strict: bool) -> JSONResponse:
    report = await health.run(tags=tags, strict=strict)
    return JSONResponse(report.as_dict(), status_code=report.http_status)


def health_router(
    health: _HealthRegistry | type[_HealthRegistry] | Any = _HealthRegistry,
    *,
    prefix: str = "/health",
) -> APIRouter:
    """Return a router with ``/health``, ``/health/redis`` and ``/health/circuit-breakers``.

    Each answers JSON ``{"status": ..., "checks": {...}}`` with 200, or 503 when down:
    ``/health`` is down when a critical check is; the other two when any of their checks
    is.

    Args:
        health: The health registry itself; or what resolves it from the container of
            :func:`rescope.fastapi.setup`: its type (the default, ``HealthRegistry``),
            ``Inject[HealthRegistry]`` or ``from_container(HealthRegistry)``. The
            container then checks at startup that it can provide one.
        prefix: Where to mount the routes.

    Raises:
        ConfigurationError: ``health`` is neither a registry nor a way to resolve one.
    """
    router = APIRouter(prefix=prefix, tags=["health"])
    if isinstance(health, _HealthRegistry):
        fixed = health

        @router.get("")
        async def overall() -> JSONResponse:
            return await _respond(fixed, None, strict=False)

        @router.get("/redis")
        async def redis() -> JSONResponse:
            return await _respond(fixed, {"redis"}, strict=True)

        @router.get("/circuit-breakers")
        async def circuit_breakers() -> JSONResponse:
            return await _respond(fixed, {"circuit-breakers"}, strict=True)

        return router

    marker = _marker(health, _HealthRegistry, argument="health")

    @router.get("")
    async def injected_overall(registry: _HealthRegistry = marker) -> JSONResponse:
        return await _respond(registry, None, strict=False)

    @router.get("/redis")
    async def injected_redis(registry: _HealthRegistry = marker) -> JSONResponse:
        return await _respond(registry, {"redis"}, strict=True)

    @router.get("/circuit-breakers")
    async def injected_circuit_breakers(registry: _HealthRegistry = marker) -> JSONResponse:
        return await _respond(registry, {"circuit-breakers"}, strict=True)

    return router
