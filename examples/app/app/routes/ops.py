"""Health (database, Redis, circuit breakers) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.ops import Metrics
from rescope.fastapi import Inject
from rescope.resilience.fastapi import health_router

router = APIRouter(tags=["ops"])
# /health (503 only when a critical check is down), /health/redis and
# /health/circuit-breakers (503 while Redis is down / a circuit is open), served from the
# container's HealthRegistry.
router.include_router(health_router())


@router.get("/metrics")
async def metrics(registry: Inject[Metrics]) -> Response:
    """Prometheus text format."""
    return Response(registry.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
