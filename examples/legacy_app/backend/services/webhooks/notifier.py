"""Completion status of provider jobs, written by the webhook and awaited by the API."""

import asyncio
import json
import logging
import time
from typing import Optional

from backend.config import get_settings
from backend.database.redis_client import RedisManager

logger = logging.getLogger(__name__)


class WebhookTimeout(Exception):
    pass


class WebhookNotifier:
    def __init__(self):
        self._ttl = 3600

    def _key(self, job_id: str) -> str:
        return RedisManager().key("job", job_id)

    async def notify_completion(self, job_id: str, result: dict) -> None:
        RedisManager().client.set(self._key(job_id), json.dumps(result), ex=self._ttl)
        logger.info("job %s completed", job_id)

    async def get_status(self, job_id: str) -> Optional[dict]:
        raw = RedisManager().client.get(self._key(job_id))
        return json.loads(raw) if raw else None

    async def wait_for_completion(self, job_id: str, timeout: Optional[float] = None) -> dict:
        settings = get_settings()
        deadline = time.monotonic() + (timeout or settings.webhook_timeout)
        while True:
            result = await self.get_status(job_id)
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise WebhookTimeout(f"job {job_id} did not complete in time")
            await asyncio.sleep(settings.webhook_poll_interval)


notifier = WebhookNotifier()
