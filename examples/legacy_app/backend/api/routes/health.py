from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.database.session import get_db
from backend.services.analytics_service import get_analytics_service

router = APIRouter(tags=["health"])


@router.get("/health")
def health(db: Session = Depends(get_db)):
    db.execute(text("select 1"))
    return {"status": "ok", "database": "ok"}


@router.get("/health/redis")
async def redis_health():
    healthy = get_analytics_service().redis_healthy()
    return {"redis": "ok" if healthy else "down"}
