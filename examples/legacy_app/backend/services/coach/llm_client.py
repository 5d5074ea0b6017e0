"""Chat model access for the coach."""

import logging
from typing import AsyncIterator, Optional

from backend.clients.factory import ClientFactory

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = "You are a concise creative coach for streamers. Suggest one concrete improvement."


class LLMClient:
    def __init__(self):
        self._client = ClientFactory.get_llm_client()
        self.model = self._client.model

    async def warm_up(self) -> None:
        await self._client.warm_up()

    async def stream_reply(self, history: list[dict], message: str) -> AsyncIterator[str]:
        async for chunk in self._client.stream_chat(SYSTEM_PROMPT, history, message):
            yield chunk

    async def summarize_conversation(self, turns: list[str]) -> str:
        return await self._client.summarize(turns)


_llm_client: Optional[LLMClient] = None


async def get_llm_client() -> LLMClient:
    global _llm_client
    if _llm_client is None:
        client = LLMClient()
        await client.warm_up()
        _llm_client = client
        logger.info("LLM client ready (%s)", client.model)
    return _llm_client
