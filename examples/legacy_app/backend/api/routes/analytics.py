from fastapi import APIRouter, Depends, HTTPException

from backend.api.deps import CurrentUser, get_current_user
from backend.api.schemas import AnalyticsEventBody
from backend.services.analytics_service import get_analytics_service
from backend.services.coach.analytics_service import get_coach_analytics_service

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


@router.post("/events", status_code=202)
async def track(data: AnalyticsEventBody, user: CurrentUser = Depends(get_current_user)):
    analytics = get_analytics_service()
    try:
        total = await analytics.track_event(user.id, data.event)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return {"event": data.event, "today": total}


@router.get("/me")
async def my_counts(user: CurrentUser = Depends(get_current_user)):
    analytics = get_analytics_service()
    coach_analytics = get_coach_analytics_service()
    return {
        "events": await analytics.user_counts(user.id),
        "coach_turns": coach_analytics.turn_count(user.id),
    }


@router.get("/today")
async def today(user: CurrentUser = Depends(get_current_user)):
    return {"counts": await get_analytics_service().daily_counts()}
