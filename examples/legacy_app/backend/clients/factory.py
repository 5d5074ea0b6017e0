"""One place that builds the external API clients; each is built once and reused."""

import logging

from backend.clients.gemini_fake import FakeGeminiClient
from backend.clients.image_gen_fake import FakeImageGenClient
from backend.clients.local_bucket import LocalBucket
from backend.config import get_settings

logger = logging.getLogger(__name__)


class ClientFactory:
    _llm_client = None
    _image_client = None
    _storage_client = None

    @classmethod
    def get_llm_client(cls) -> FakeGeminiClient:
        if cls._llm_client is None:
            settings = get_settings()
            if settings.llm_provider != "fake":
                raise RuntimeError(f"LLM_PROVIDER={settings.llm_provider!r} needs google-generativeai")
            cls._llm_client = FakeGeminiClient(api_key=settings.gemini_api_key)
        return cls._llm_client

    @classmethod
    def get_image_client(cls) -> FakeImageGenClient:
        if cls._image_client is None:
            settings = get_settings()
            if settings.image_provider != "fake":
                raise RuntimeError(f"IMAGE_PROVIDER={settings.image_provider!r} needs the replicate SDK")
            cls._image_client = FakeImageGenClient(api_key="fake")
        return cls._image_client

    @classmethod
    def get_storage_client(cls) -> LocalBucket:
        if cls._storage_client is None:
            cls._storage_client = LocalBucket(get_settings().storage_dir)
            logger.info("storage bucket at %s", cls._storage_client.root)
        return cls._storage_client
