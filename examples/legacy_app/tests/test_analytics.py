from unittest import mock


def test_login_is_counted(client, user):
    counts = client.get("/api/v1/analytics/me", headers=user["headers"]).json()
    assert counts["events"]["login"] == 1
    assert counts["coach_turns"] == 0


def test_track_event(client, auth_headers):
    response = client.post("/api/v1/analytics/events", json={"event": "asset_uploaded"}, headers=auth_headers)
    assert response.status_code == 202
    assert response.json()["today"] >= 1


def test_unknown_event_rejected(client, auth_headers):
    response = client.post("/api/v1/analytics/events", json={"event": "rage_quit"}, headers=auth_headers)
    assert response.status_code == 422


def test_coach_turns_are_counted(client, auth_headers):
    session_id = client.post("/api/v1/coach/sessions", json={}, headers=auth_headers).json()["session_id"]
    client.post(f"/api/v1/coach/sessions/{session_id}/messages", json={"message": "banner"}, headers=auth_headers)
    counts = client.get("/api/v1/analytics/me", headers=auth_headers).json()
    assert counts["coach_turns"] == 1
    assert counts["events"]["coach_message"] == 1


def test_daily_counts_include_logins(client, user):
    counts = client.get("/api/v1/analytics/today", headers=user["headers"]).json()["counts"]
    assert counts["login"] >= 1


def test_health(client):
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}


def test_redis_health(client):
    assert client.get("/health/redis").json() == {"redis": "ok"}


def test_redis_health_reports_down(client):
    stub = mock.MagicMock()
    stub.redis_healthy.return_value = False
    with mock.patch("backend.api.routes.health.get_analytics_service", return_value=stub):
        assert client.get("/health/redis").json() == {"redis": "down"}


def test_knowledge_search(client):
    results = client.get("/api/v1/knowledge/search", params={"q": "thumbnail text"}).json()["results"]
    assert results[0]["slug"] == "thumbnail-text"


def test_knowledge_search_without_matches(client):
    assert client.get("/api/v1/knowledge/search", params={"q": "zzz"}).json()["results"] == []
