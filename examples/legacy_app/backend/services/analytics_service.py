"""Product analytics counters in Redis."""

import logging
from datetime import date
from typing import Optional

from backend.database.redis_client import RedisManager

logger = logging.getLogger(__name__)

KNOWN_EVENTS = frozenset({"login", "brand_kit_created", "generation_started", "generation_completed",
                          "coach_message", "asset_uploaded"})


class AnalyticsService:
    def __init__(self):
        self._redis = RedisManager()

    async def track_event(self, user_id: int, event: str) -> int:
        if event not in KNOWN_EVENTS:
            raise ValueError(f"unknown analytics event {event!r}")
        day = date.today().isoformat()
        pipe = self._redis.client.pipeline()
        pipe.hincrby(self._redis.key("analytics", day), event, 1)
        pipe.hincrby(self._redis.key("analytics", "user", str(user_id)), event, 1)
        total, _ = pipe.execute()
        return int(total)

    async def daily_counts(self, day: Optional[str] = None) -> dict[str, int]:
        raw = self._redis.client.hgetall(self._redis.key("analytics", day or date.today().isoformat()))
        return {k: int(v) for k, v in raw.items()}

    async def user_counts(self, user_id: int) -> dict[str, int]:
        raw = self._redis.client.hgetall(self._redis.key("analytics", "user", str(user_id)))
        return {k: int(v) for k, v in raw.items()}

    def redis_healthy(self) -> bool:
        return self._redis.ping()


_analytics_service: Optional[AnalyticsService] = None
_initialized = False


def get_analytics_service() -> AnalyticsService:
    global _analytics_service, _initialized
    if not _initialized:
        _analytics_service = AnalyticsService()
        _initialized = True
    return _analytics_service
