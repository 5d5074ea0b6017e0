"""Product analytics: track an event, read the user's and today's counts."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.analytics import Analytics
from app.routes.deps import CurrentAccount
from rescope.fastapi import Inject

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


class EventBody(BaseModel):
    event: str


@router.post("/events", status_code=202)
async def track(
    body: EventBody, account: CurrentAccount, analytics: Inject[Analytics]
) -> dict[str, object]:
    return {"event": body.event, "today": await analytics.track(account.id, body.event)}


@router.get("/me")
async def my_counts(account: CurrentAccount, analytics: Inject[Analytics]) -> dict[str, object]:
    return {"user_id": account.id, "events": await analytics.user_counts(account.id)}


@router.get("/today")
async def today(account: CurrentAccount, analytics: Inject[Analytics]) -> dict[str, object]:
    del account  # signed-in users only
    return {"counts": await analytics.daily_counts()}
