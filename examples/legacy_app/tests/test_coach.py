from unittest import mock

from backend.services.coach.intent_extractor import get_intent_extractor
from backend.services.coach.response_processor import ResponseProcessor
from backend.services.coach.session_manager import get_session_manager
from backend.services.coach.tips_service import TipsService


class ScriptedLLM:
    async def stream_reply(self, history, message):
        for chunk in ["Use ", "bigger ", "text."]:
            yield chunk

    async def summarize_conversation(self, turns):
        return "scripted summary"


def _start_session(client, headers, topic="thumbnail"):
    response = client.post("/api/v1/coach/sessions", json={"topic": topic}, headers=headers)
    assert response.status_code == 201
    return response.json()["session_id"]


def test_start_session(client, auth_headers):
    session_id = _start_session(client, auth_headers)
    assert len(session_id) == 12


def test_send_message_returns_reply_and_intent(client, auth_headers):
    session_id = _start_session(client, auth_headers)
    response = client.post(f"/api/v1/coach/sessions/{session_id}/messages",
                           json={"message": "How do I make my YouTube thumbnail pop?"}, headers=auth_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["reply"].startswith("Coach (0 turns)")
    assert body["intent"] == "thumbnail"
    assert body["tips"]


def test_history_grows_with_each_message(client, auth_headers):
    session_id = _start_session(client, auth_headers)
    url = f"/api/v1/coach/sessions/{session_id}/messages"
    client.post(url, json={"message": "first idea"}, headers=auth_headers)
    second = client.post(url, json={"message": "second idea"}, headers=auth_headers).json()
    assert second["reply"].startswith("Coach (2 turns)")


def test_other_user_cannot_use_session(client, auth_headers, other_user):
    session_id = _start_session(client, auth_headers)
    response = client.post(f"/api/v1/coach/sessions/{session_id}/messages",
                           json={"message": "hi"}, headers=other_user["headers"])
    assert response.status_code == 404


def test_blocked_words_rejected(client, auth_headers):
    session_id = _start_session(client, auth_headers)
    response = client.post(f"/api/v1/coach/sessions/{session_id}/messages",
                           json={"message": "I hate this"}, headers=auth_headers)
    assert response.status_code == 422


def test_end_session_returns_summary(client, auth_headers):
    session_id = _start_session(client, auth_headers)
    client.post(f"/api/v1/coach/sessions/{session_id}/messages", json={"message": "emote ideas"}, headers=auth_headers)
    response = client.delete(f"/api/v1/coach/sessions/{session_id}", headers=auth_headers)
    assert response.status_code == 200
    assert response.json()["summary"].startswith("1 messages about emote ideas")
    again = client.delete(f"/api/v1/coach/sessions/{session_id}", headers=auth_headers)
    assert again.status_code == 404


@mock.patch("backend.services.coach.coach_service.get_llm_client", new_callable=mock.AsyncMock)
def test_reply_uses_llm_output(get_llm_client, client, auth_headers):
    get_llm_client.return_value = ScriptedLLM()
    session_id = _start_session(client, auth_headers)
    response = client.post(f"/api/v1/coach/sessions/{session_id}/messages",
                           json={"message": "anything"}, headers=auth_headers)
    assert response.json()["reply"] == "Use bigger text."


def test_tips_endpoint(client):
    response = client.get("/api/v1/coach/tips/emote")
    assert response.status_code == 200
    assert "Keep it readable at 28x28." in response.json()["tips"]


def test_tips_service_is_shared():
    assert TipsService() is TipsService()


def test_intent_extractor():
    extractor = get_intent_extractor()
    assert extractor.extract("need a new twitch emote") == "emote"
    assert extractor.extract("hello there") is None


def test_response_processor_joins_chunks():
    processor = ResponseProcessor()
    for chunk in ["Hello ", "  world", "!"]:
        processor.feed(chunk)
    assert processor.finish() == "Hello world!"
    assert processor.pending() == 0


def test_session_manager_keeps_active_session_per_user(client, auth_headers, user):
    session_id = _start_session(client, auth_headers)
    manager = get_session_manager()
    assert manager._active_sessions[user["id"]].session_id == session_id
