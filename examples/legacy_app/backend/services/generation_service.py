"""Image generation jobs: prompt from the brand kit, submit, store the result."""

import base64
import logging
from dataclasses import dataclass
from typing import Optional

from backend.clients.factory import ClientFactory
from backend.services.brand_kit_service import get_brand_kit_service
from backend.services.prompt_engine import get_prompt_engine
from backend.services.realtime.execution_registry import ExecutionRegistry
from backend.services.storage_service import StoredAsset, get_storage_service

logger = logging.getLogger(__name__)


@dataclass
class GenerationJob:
    job_id: str
    prompt: str
    status: str = "queued"


class GenerationService:
    def __init__(self):
        self.brand_kits = get_brand_kit_service()
        self.prompts = get_prompt_engine()
        self.storage = get_storage_service()
        self.image_api = ClientFactory.get_image_client()
        self.registry = ExecutionRegistry()

    async def start_generation(self, user_id: int, brand_kit_id: int, kind: str, subject: str) -> GenerationJob:
        kit = await self.brand_kits.get(user_id, brand_kit_id)
        prompt = self.prompts.build(kind, subject, kit.palette.__dict__, kit.tone)
        job_id = await self.image_api.submit(prompt)
        self.registry.register(job_id, user_id, kind="generation")
        logger.info("generation %s submitted for user %s", job_id, user_id)
        return GenerationJob(job_id=job_id, prompt=prompt)

    async def store_result(self, job_id: str, image_b64: str) -> StoredAsset:
        user_id = self.registry.owner_of(job_id)
        if user_id is None:
            raise KeyError(f"unknown generation job {job_id}")
        data = base64.b64decode(image_b64)
        return self.storage.upload(user_id, f"generation-{job_id}.png", data)


_generation_service: Optional[GenerationService] = None


def get_generation_service() -> GenerationService:
    """Get or create the generation service singleton."""
    global _generation_service
    if _generation_service is None:
        _generation_service = GenerationService()
    return _generation_service
