from fastapi import APIRouter, Depends, HTTPException

from backend.api.deps import CurrentUser, get_current_user
from backend.api.schemas import CoachMessage, CoachStart
from backend.services.analytics_service import get_analytics_service
from backend.services.coach.coach_service import get_coach_service
from backend.services.coach.session_manager import SessionNotFound, get_session_manager
from backend.services.coach.tips_service import TipsService

router = APIRouter(prefix="/api/v1/coach", tags=["coach"])


@router.post("/sessions", status_code=201)
async def start_session(data: CoachStart, user: CurrentUser = Depends(get_current_user)):
    session = get_coach_service().start(user.id, data.topic)
    return {"session_id": session.session_id, "topic": session.topic}


@router.post("/sessions/{session_id}/messages")
async def send_message(session_id: str, data: CoachMessage, user: CurrentUser = Depends(get_current_user)):
    coach = get_coach_service()
    try:
        reply = await coach.send_message(user.id, session_id, data.message)
    except SessionNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    await get_analytics_service().track_event(user.id, "coach_message")
    return {"session_id": reply.session_id, "reply": reply.reply, "intent": reply.intent, "tips": reply.tips}


@router.delete("/sessions/{session_id}")
async def end_session(session_id: str, user: CurrentUser = Depends(get_current_user)):
    sessions = get_session_manager()
    try:
        summary = await sessions.end_session(user.id, session_id)
    except SessionNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return {"session_id": session_id, "summary": summary}


@router.get("/tips/{kind}")
async def tips(kind: str, tips_service: TipsService = Depends(TipsService)):
    return {"kind": kind, "tips": tips_service.tips_for(kind)}
