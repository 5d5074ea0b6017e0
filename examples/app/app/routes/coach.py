"""The prompt coach: conversations of the current user."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.coach import CoachService, Conversations, Tips
from app.routes.deps import CurrentAccount
from rescope.fastapi import Inject

router = APIRouter(prefix="/api/v1/coach", tags=["coach"])


class StartBody(BaseModel):
    topic: str = "thumbnail"


class MessageBody(BaseModel):
    message: str = Field(min_length=1, max_length=2000)


@router.post("/sessions", status_code=201)
async def start_session(
    body: StartBody, account: CurrentAccount, conversations: Inject[Conversations]
) -> dict[str, object]:
    conversation = await conversations.start(body.topic)
    return {
        "session_id": conversation.session_id,
        "topic": conversation.topic,
        "user_id": account.id,
    }


@router.post("/sessions/{session_id}/messages")
async def send_message(
    session_id: str, body: MessageBody, account: CurrentAccount, coach: Inject[CoachService]
) -> dict[str, object]:
    return {**await coach.reply(session_id, body.message), "user_id": account.id}


@router.delete("/sessions/{session_id}")
async def end_session(
    session_id: str, account: CurrentAccount, coach: Inject[CoachService]
) -> dict[str, object]:
    return {"session_id": session_id, "summary": await coach.end(session_id), "user_id": account.id}


@router.get("/tips/{kind}")
async def tips(kind: str, tips: Inject[Tips]) -> dict[str, object]:
    return {"kind": kind, "tips": tips.tips_for(kind)}
