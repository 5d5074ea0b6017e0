"""Coach usage counters (turns per user) in Redis."""

from typing import Optional

import redis

from backend.config import get_settings


class CoachAnalyticsService:
    def __init__(self):
        settings = get_settings()
        self._redis = redis.Redis.from_url(settings.redis_url, decode_responses=True)
        self._prefix = settings.redis_key_prefix + "coach:"

    def record_turn(self, user_id: int, intent: Optional[str]) -> None:
        self._redis.incr(f"{self._prefix}turns:{user_id}")
        if intent:
            self._redis.hincrby(f"{self._prefix}intents", intent, 1)

    def turn_count(self, user_id: int) -> int:
        return int(self._redis.get(f"{self._prefix}turns:{user_id}") or 0)

    def intent_histogram(self) -> dict[str, int]:
        return {k: int(v) for k, v in self._redis.hgetall(f"{self._prefix}intents").items()}


_coach_analytics_service: Optional[CoachAnalyticsService] = None


def get_coach_analytics_service() -> CoachAnalyticsService:
    global _coach_analytics_service
    if _coach_analytics_service is None:
        _coach_analytics_service = CoachAnalyticsService()
    return _coach_analytics_service
