"""Pushes run events (job finished, coach summary ready) to the user's websockets."""

import asyncio
import logging
from typing import Optional

from backend.services.realtime.connection_manager import manager
from backend.services.realtime.execution_registry import ExecutionRegistry

logger = logging.getLogger(__name__)


class EventBridge:
    def __init__(self):
        self.connections = manager
        self.registry = ExecutionRegistry()

    async def publish_run_event(self, run_id: str, event: str, payload: dict) -> int:
        user_id = self.registry.owner_of(run_id)
        if user_id is None:
            logger.warning("event %s for unknown run %s dropped", event, run_id)
            return 0
        if event in ("completed", "failed"):
            self.registry.finish(run_id)
        return await self.connections.send_to_user(user_id, {"event": event, "run_id": run_id, **payload})

    async def notify_user(self, user_id: int, event: str, payload: dict) -> int:
        return await self.connections.send_to_user(user_id, {"event": event, **payload})


_event_bridge: Optional[EventBridge] = None
_event_bridge_lock = asyncio.Lock()


async def get_event_bridge() -> EventBridge:
    global _event_bridge
    if _event_bridge is None:
        async with _event_bridge_lock:
            if _event_bridge is None:
                _event_bridge = EventBridge()
    return _event_bridge
