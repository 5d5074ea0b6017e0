"""Stand-ins for browsers' websockets, and small helpers for polling real Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis


class FakeWebSocket:
    """Records every text frame sent to it; `fail()` makes later sends raise like a dead socket."""

    def __init__(self, name: str = "ws") -> None:
        self.name = name
        self.texts: list[str] = []
        self.failing = False
        self.gate: asyncio.Event | None = None

    @property
    def events(self) -> list[Any]:
        return [json.loads(text) for text in self.texts]

    def fail(self) -> None:
        self.failing = True

    async def send_text(self, data: str) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.failing:
            raise RuntimeError(f"{self.name}: websocket is closed")
        self.texts.append(data)

    def __repr__(self) -> str:
        return f"FakeWebSocket({self.name!r}, {len(self.texts)} frames)"


async def eventually(check: Callable[[], bool], *, within: float = 10.0) -> None:
    """Wait until `check()` is true (a condition on another process or on Redis), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s: {check}")
        await asyncio.sleep(0.01)


async def numsub(url: str, *channels: str) -> dict[str, int]:
    """Ask Redis how many connections subscribe to each channel (PUBSUB NUMSUB)."""
    client = aioredis.Redis.from_url(url)
    try:
        pairs = await client.pubsub_numsub(*channels)
    finally:
        await client.aclose()
    return {name.decode(): count for name, count in pairs}


async def wait_numsub(url: str, expected: dict[str, int], *, within: float = 10.0) -> None:
    """Wait until PUBSUB NUMSUB reports `expected` for each channel, or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (seen := await numsub(url, *expected)) != expected:
        if loop.time() > deadline:
            raise AssertionError(f"PUBSUB NUMSUB is {seen}, expected {expected}")
        await asyncio.sleep(0.01)


def event_tasks() -> list[asyncio.Task[Any]]:
    """The rescope.events tasks still running on this loop."""
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("rescope.events") and not task.done()
    ]
