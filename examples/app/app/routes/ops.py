"""Health (database, Redis, circuit breakers) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from app.ops import Metrics
from rescope.fastapi import Inject
from rescope.resilience import HealthRegistry

router = APIRouter(tags=["ops"])


async def _report(health: HealthRegistry, tags: set[str] | None, *, strict: bool) -> JSONResponse:
    report = await health.run(tags=tags, strict=strict)
    return JSONResponse(report.as_dict(), status_code=report.http_status)


@router.get("/health")
async def health(checks: Inject[HealthRegistry]) -> JSONResponse:
    """200 while every critical check is up (degraded included), 503 when one is down."""
    return await _report(checks, None, strict=False)


@router.get("/health/redis")
async def redis_health(checks: Inject[HealthRegistry]) -> JSONResponse:
    """503 while Redis is down."""
    return await _report(checks, {"redis"}, strict=True)


@router.get("/health/circuit-breakers")
async def breaker_health(checks: Inject[HealthRegistry]) -> JSONResponse:
    """503 while a circuit is open."""
    return await _report(checks, {"circuit-breakers"}, strict=True)


@router.get("/metrics")
async def metrics(registry: Inject[Metrics]) -> Response:
    """Prometheus text format."""
    return Response(registry.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
