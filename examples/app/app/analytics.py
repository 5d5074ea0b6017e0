"""Product analytics counters: per day and per user, in the store (Redis or in-process)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.errors import MessageRejectedError
from app.store import Store

KNOWN_EVENTS = frozenset(
    {
        "login",
        "brand_kit_created",
        "generation_started",
        "generation_completed",
        "coach_message",
        "asset_uploaded",
    }
)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


class Analytics:
    """Counts product events; while Redis is down the counts degrade, requests go on."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def track(self, user_id: int, event: str) -> int:
        """Count ``event`` for today and for the user; return today's count.

        Raises:
            MessageRejectedError: ``event`` is not a known event.
        """
        if event not in KNOWN_EVENTS:
            raise MessageRejectedError(f"Unknown analytics event {event!r}.")
        total = await self._store.increment(f"analytics:{_today()}", event)
        await self._store.increment(f"analytics:user:{user_id}", event)
        return total

    async def daily_counts(self) -> dict[str, int]:
        """Today's counts of every event."""
        return await self._store.counts(f"analytics:{_today()}")

    async def user_counts(self, user_id: int) -> dict[str, int]:
        """The user's counts of every event."""
        return await self._store.counts(f"analytics:user:{user_id}")
