from app.coach import CoachModel, Conversations


class ScriptedModel(CoachModel):
    async def stream_reply(self, history, message):
        for chunk in ["Use ", "bigger ", "text."]:
            yield chunk

    async def summarize(self, turns):
        return "scripted summary"


def _start(client, user, topic="thumbnail"):
    response = client.post("/api/v1/coach/sessions", json={"topic": topic}, headers=user["headers"])
    assert response.status_code == 201
    return response.json()["session_id"]


def _say(client, user, session_id, message):
    url = f"/api/v1/coach/sessions/{session_id}/messages"
    return client.post(url, json={"message": message}, headers=user["headers"])


def test_reply_has_intent_tips_and_growing_history(client, user):
    """The coach answers with the intent's tips, and sees the earlier turns."""
    session_id = _start(client, user)
    first = _say(client, user, session_id, "How do I make my YouTube thumbnail pop?").json()
    assert first["reply"].startswith("Coach (0 turns)")
    assert first["intent"] == "thumbnail"
    assert first["tips"]
    assert (
        _say(client, user, session_id, "second idea").json()["reply"].startswith("Coach (2 turns)")
    )


def test_another_user_cannot_use_the_conversation(client, user, other_user):
    """A conversation id of one user is not found for another."""
    session_id = _start(client, user)
    response = _say(client, other_user, session_id, "hi")
    assert response.status_code == 404
    assert response.json()["code"] == "coach_session_not_found"


def test_blocked_words_are_refused(client, user):
    """A message with blocked words is a 422 problem."""
    assert _say(client, user, _start(client, user), "I hate this").status_code == 422


def test_ending_returns_a_summary_and_forgets_the_conversation(client, user):
    """Ending a conversation summarizes it; afterwards it is gone."""
    session_id = _start(client, user)
    _say(client, user, session_id, "brand colours for my banner")
    ended = client.delete(f"/api/v1/coach/sessions/{session_id}", headers=user["headers"]).json()
    assert ended["summary"] == "1 messages about brand colours for my banner"
    assert _say(client, user, session_id, "again").status_code == 404


def test_conversations_live_in_each_users_session_scope(client, app, user, other_user):
    """Each user has one Conversations object, shared by that user's requests only."""
    _start(client, user)
    _start(client, user)
    _start(client, other_user)
    users = app.state.rescope.users
    mine = users.get(str(user["id"])).scope.get(Conversations)
    theirs = users.get(str(other_user["id"])).scope.get(Conversations)
    assert mine is not theirs
    assert (len(mine), len(theirs)) == (2, 1)


def test_the_model_can_be_replaced_in_a_test(client, override, user):
    """Overriding the APP-scoped model reaches the REQUEST-scoped coach loop."""
    override(CoachModel, ScriptedModel())
    session_id = _start(client, user)
    assert _say(client, user, session_id, "help").json()["reply"] == "Use bigger text."
    ended = client.delete(f"/api/v1/coach/sessions/{session_id}", headers=user["headers"]).json()
    assert ended["summary"] == "scripted summary"


def test_tips_need_no_account(client):
    """Static tips are public."""
    assert client.get("/api/v1/coach/tips/emote").json()["tips"][0] == "Keep it readable at 28x28."
