import socket

from fastapi.testclient import TestClient

from app.main import create_app
from app.services import build_registry
from rescope import Container
from tests.conftest import sign_up


def _dead_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


def test_events_are_counted_per_user_and_per_day(client, user, other_user):
    """Tracked events show in the user's counts and today's, not in another user's."""
    for _ in range(2):
        assert (
            client.post(
                "/api/v1/analytics/events", json={"event": "coach_message"}, headers=user["headers"]
            ).status_code
            == 202
        )
    mine = client.get("/api/v1/analytics/me", headers=user["headers"]).json()["events"]
    assert mine == {"login": 1, "coach_message": 2}
    assert client.get("/api/v1/analytics/me", headers=other_user["headers"]).json()["events"] == {
        "login": 1
    }
    assert (
        client.get("/api/v1/analytics/today", headers=user["headers"]).json()["counts"]["login"]
        == 2
    )


def test_unknown_events_are_refused(client, user):
    """Only known events are counted."""
    response = client.post(
        "/api/v1/analytics/events", json={"event": "nope"}, headers=user["headers"]
    )
    assert response.status_code == 422


def test_redis_down_degrades_analytics_but_not_login(settings):
    """With Redis unreachable, login still works (counters degrade), health says so, and
    revocation checks refuse with 503 rather than trust a stale answer."""
    down = settings.model_copy(update={"redis_url": _dead_redis_url()})
    with TestClient(create_app(Container(build_registry(down)))) as client:
        user = sign_up(client)
        assert client.get("/api/v1/auth/me", headers=user["headers"]).status_code == 503
        overall = client.get("/health")
        assert overall.status_code == 200
        assert overall.json()["checks"]["redis"]["status"] == "down"
        assert client.get("/health/redis").status_code == 503
