"""Turns provider webhook payloads into job results."""

import asyncio
import logging

from backend.services.webhooks.notifier import notifier

logger = logging.getLogger(__name__)

SUCCESS_STATES = ("succeeded", "completed")


def process_webhook_result(job_id: str, status: str, asset_url: str = "") -> bool:
    success = status in SUCCESS_STATES
    result = {"job_id": job_id, "status": "completed" if success else "failed", "asset_url": asset_url}
    asyncio.create_task(notifier.notify_completion(job_id, result))
    return success
