"""Daily generation quota per user."""

from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import func, select

from backend.config import get_settings
from backend.database.models import GenerationRecord
from backend.database.session import get_db


class UsageLimitExceeded(Exception):
    pass


class UsageLimitService:
    def __init__(self):
        self.daily_limit = get_settings().generation_daily_limit

    def used_today(self, user_id: int) -> int:
        db = next(get_db())
        since = datetime.now(timezone.utc) - timedelta(days=1)
        return db.scalar(
            select(func.count(GenerationRecord.id)).where(
                GenerationRecord.user_id == user_id, GenerationRecord.created_at >= since
            )
        )

    def check_and_record(self, user_id: int, job_id: str) -> int:
        used = self.used_today(user_id)
        if used >= self.daily_limit:
            raise UsageLimitExceeded(f"daily limit of {self.daily_limit} generations reached")
        with next(get_db()) as db:
            db.add(GenerationRecord(user_id=user_id, job_id=job_id))
            db.commit()
        return self.daily_limit - used - 1


_usage_limit_service: Optional[UsageLimitService] = None


def get_usage_limit_service() -> UsageLimitService:
    global _usage_limit_service
    if _usage_limit_service is None:
        _usage_limit_service = UsageLimitService()
    return _usage_limit_service
