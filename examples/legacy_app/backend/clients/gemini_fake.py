"""Deterministic stand-in for the Gemini chat API (LLM_PROVIDER=fake)."""

import asyncio
import hashlib
from typing import AsyncIterator


class FakeGeminiClient:
    model = "gemini-fake-1"

    def __init__(self, api_key: str):
        self.api_key = api_key
        self.ready = False

    async def warm_up(self) -> None:
        await asyncio.sleep(0)
        self.ready = True

    async def stream_chat(self, system: str, history: list[dict], message: str) -> AsyncIterator[str]:
        digest = hashlib.sha1(message.encode()).hexdigest()[:6]
        reply = f"Coach ({len(history)} turns): try this for '{message}' [ref {digest}]"
        for word in reply.split(" "):
            await asyncio.sleep(0)
            yield word + " "

    async def summarize(self, turns: list[str]) -> str:
        await asyncio.sleep(0)
        return f"{len(turns)} messages about " + (turns[0][:40] if turns else "nothing")
