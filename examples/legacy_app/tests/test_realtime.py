import pytest
from starlette.websockets import WebSocketDisconnect

from backend.services.realtime.connection_manager import manager


def _start_job(client, headers, kit_id):
    response = client.post("/api/v1/generate", json={"brand_kit_id": kit_id, "kind": "emote", "subject": "happy cat"},
                           headers=headers)
    assert response.status_code == 202
    return response.json()["job_id"]


def test_websocket_rejects_bad_token(client):
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws?token=garbage") as ws:
            ws.receive_json()


def test_websocket_ping(client, user):
    with client.websocket_connect(f"/ws?token={user['tokens']['access_token']}") as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_job_completion_is_pushed_to_owner(client, user, brand_kit):
    job_id = _start_job(client, user["headers"], brand_kit["id"])
    with client.websocket_connect(f"/ws?token={user['tokens']['access_token']}") as ws:
        ws.send_json({"type": "runs"})
        assert job_id in ws.receive_json()["runs"]
        hook = client.post("/api/v1/webhooks/image-complete", json={"job_id": job_id, "status": "failed"})
        assert hook.json()["delivered"] == 1
        event = ws.receive_json()
        assert event["event"] == "failed" and event["run_id"] == job_id


def test_manager_tracks_connected_users(client, user):
    with client.websocket_connect(f"/ws?token={user['tokens']['access_token']}") as ws:
        ws.send_json({"type": "ping"})
        ws.receive_json()
        assert user["id"] in manager.connected_users()
