from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.coach import Conversations
from app.generation import GenerationService
from app.services import build_registry
from rescope import Container, Scope
from rescope.events import CompletionNotifier, EventRouter, RunRegistry
from rescope.resilience import RateLimiter


def test_health_reports_every_check(client):
    """/health runs the database, Redis and breaker checks; each sub-route answers 200."""
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "circuit-breakers"}
    assert client.get("/health/redis").status_code == 200
    assert client.get("/health/circuit-breakers").status_code == 200


def test_metrics_are_prometheus_text(client, user, brand_kit):
    """/metrics shows the breaker gauges and the app's own counters."""
    client.post(
        "/api/v1/generate",
        json={"brand_kit_id": brand_kit["id"], "subject": "cat"},
        headers=user["headers"],
    )
    text = client.get("/metrics").text
    assert 'rescope_circuit_breaker_state{breaker="image-api"} 0.0' in text
    assert "creator_generations_started_total 1.0" in text


def test_every_service_is_in_its_scope(settings):
    """The graph puts shared services in APP, per-user state in SESSION, sessions in REQUEST."""
    graph = Container(build_registry(settings)).graph()
    scopes = {
        service: graph.scope_of(service)
        for service in (
            AsyncEngine,
            CompletionNotifier,
            RateLimiter,
            EventRouter,
            RunRegistry,
            Conversations,
            AsyncSession,
            GenerationService,
        )
    }
    assert scopes == {
        AsyncEngine: Scope.APP,
        CompletionNotifier: Scope.APP,
        RateLimiter: Scope.APP,
        EventRouter: Scope.SESSION,
        RunRegistry: Scope.SESSION,
        Conversations: Scope.SESSION,
        AsyncSession: Scope.REQUEST,
        GenerationService: Scope.REQUEST,
    }
