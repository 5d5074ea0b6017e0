"""Subscriptions that survive a Redis restart, against a private redis-server."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from rescope.resilience import ResilientRedis


async def publish(url: str, channel: str, message: str) -> int:
    plain = aioredis.Redis.from_url(url)
    try:
        return int(await plain.publish(channel, message))
    finally:
        await plain.aclose()


async def wait_for(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


@pytest.mark.anyio
async def test_messages_published_after_a_restart_arrive(private_redis) -> None:
    """Kill and restart redis-server while subscribed: later messages still arrive."""
    client = ResilientRedis(private_redis.url, socket_timeout=0.5, connect_timeout=0.25)
    received: list[bytes] = []
    async with client.subscribe("jobs", patterns=["user:*"], reconnect_max=0.2) as sub:
        assert sub.subscribed

        async def read() -> None:
            async for message in sub:
                received.append(message["data"])  # noqa: PERF401 - read while it fills

        reader = asyncio.create_task(read())
        assert await publish(private_redis.url, "jobs", "before") == 1
        await wait_for(lambda: received == [b"before"])

        private_redis.kill()
        await asyncio.sleep(0.3)  # the reader sees the loss and retries in the dark
        private_redis.start()
        await wait_for(lambda: sub.reconnects == 1 and sub.subscribed)

        assert await publish(private_redis.url, "jobs", "after") == 1
        assert await publish(private_redis.url, "user:7", "for ada") == 1
        await wait_for(lambda: len(received) == 3)
        assert received == [b"before", b"after", b"for ada"]
    await asyncio.wait_for(reader, 5)  # iteration ends when the subscription closes
    await client.aclose()


@pytest.mark.anyio
async def test_get_message_returns_none_while_redis_stays_down(private_redis) -> None:
    """While Redis is down, get_message() keeps trying only until its timeout, then says None."""
    client = ResilientRedis(private_redis.url, socket_timeout=0.5, connect_timeout=0.25)
    async with client.subscribe("jobs", reconnect_initial=0.01, reconnect_max=0.05) as sub:
        private_redis.kill()
        assert await sub.get_message(timeout=0.3) is None
        assert not sub.subscribed
        private_redis.start()
        await publish(private_redis.url, "jobs", "lost")  # nobody is subscribed yet
        message = None
        while message is None and sub.reconnects == 0:
            message = await sub.get_message(timeout=0.3)
        assert sub.subscribed
        assert await publish(private_redis.url, "jobs", "kept") == 1
        message = await sub.get_message(timeout=2)
        assert message is not None
        assert (message["channel"], message["data"]) == (b"jobs", b"kept")
    await client.aclose()
