import pytest
from starlette.websockets import WebSocketDisconnect


def _start_job(client, user, kit_id):
    body = {"brand_kit_id": kit_id, "kind": "emote", "subject": "happy cat"}
    response = client.post("/api/v1/generate", json=body, headers=user["headers"])
    assert response.status_code == 202
    return response.json()["job_id"]


def test_bad_token_is_refused(client):
    """A websocket without a valid token is closed with 1008."""
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/ws?token=garbage") as ws,
    ):
        ws.receive_json()
    assert refused.value.code == 1008


def test_ping(client, user):
    """The socket answers pings for its user."""
    with client.websocket_connect(f"/ws?token={user['token']}") as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong", "user_id": user["id"]}


def test_completion_reaches_the_owner_only(client, user, other_user, brand_kit):
    """The job's event reaches its owner's socket; the other user's socket gets nothing."""
    job_id = _start_job(client, user, brand_kit["id"])
    with (
        client.websocket_connect(f"/ws?token={user['token']}") as mine,
        client.websocket_connect(f"/ws?token={other_user['token']}") as theirs,
    ):
        mine.send_json({"type": "runs"})
        assert mine.receive_json()["runs"] == [job_id]
        hook = client.post(
            "/api/v1/webhooks/image-complete", json={"job_id": job_id, "status": "failed"}
        )
        assert hook.status_code == 200
        event = mine.receive_json()
        assert (event["type"], event["job_id"]) == ("generation.failed", job_id)
        theirs.send_json({"type": "ping"})
        assert theirs.receive_json() == {"type": "pong", "user_id": other_user["id"]}
        theirs.send_json({"type": "runs"})
        assert theirs.receive_json()["runs"] == []


def test_waiting_finishes_the_run(client, user, brand_kit):
    """Once the user has the outcome, the run leaves the user's registry."""
    job_id = _start_job(client, user, brand_kit["id"])
    client.post("/api/v1/webhooks/image-complete", json={"job_id": job_id, "status": "failed"})
    client.get(f"/api/v1/generate/{job_id}/wait", headers=user["headers"])
    with client.websocket_connect(f"/ws?token={user['token']}") as ws:
        ws.send_json({"type": "runs"})
        assert ws.receive_json()["runs"] == []
