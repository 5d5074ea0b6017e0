"""Waiters and user channels survive a Redis restart: kill -9, start again on the same port."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from rescope.events import (
    EventRouter,
    RedisNotifier,
    RedisUserEventBus,
    create_event_bus,
    create_notifier,
)
from rescope.events._hub import ChannelHub
from tests.events.fakes import FakeWebSocket, eventually, wait_numsub

pytestmark = pytest.mark.anyio


async def test_a_waiter_is_woken_by_a_notify_after_a_restart(private_redis) -> None:
    """A waiter subscribed before the restart is subscribed again and woken by a later publish."""
    async with create_notifier(private_redis.url, namespace="r") as notifier:
        assert isinstance(notifier, RedisNotifier)
        waiting = asyncio.create_task(notifier.wait("job", timeout=30))
        channel = notifier.channel("job")
        await wait_numsub(private_redis.url, {channel: 1})
        private_redis.restart()
        await wait_numsub(private_redis.url, {channel: 1}, within=20)
        assert not waiting.done()
        # retention=0: nothing is stored, so only the resubscribed channel can deliver it.
        async with create_notifier(private_redis.url, namespace="r", retention=0) as webhook:
            await webhook.notify("job", {"after": "restart"})
        assert await waiting == {"after": "restart"}
        assert notifier.stats().waiters == 0


async def test_a_notify_right_after_a_restart_is_not_lost(private_redis) -> None:
    """A completion notified at once after the restart reaches the waiter, resubscribed or not."""
    async with create_notifier(private_redis.url, namespace="r") as notifier:
        assert isinstance(notifier, RedisNotifier)
        waiters = [asyncio.create_task(notifier.wait(f"job-{i}", timeout=30)) for i in range(3)]
        channels = {notifier.channel(f"job-{i}"): 1 for i in range(3)}
        await wait_numsub(private_redis.url, channels)
        private_redis.restart()
        for i in range(3):
            await notifier.notify(f"job-{i}", i)
        assert await asyncio.gather(*waiters) == [0, 1, 2]


async def test_a_wait_begun_while_redis_is_down_completes_once_it_is_back(private_redis) -> None:
    """A wait that starts while Redis is down subscribes when it is back, then gets its result."""
    async with create_notifier(private_redis.url, namespace="r") as notifier:
        assert isinstance(notifier, RedisNotifier)
        await notifier.notify("warm-up", 0)  # the notifier's connections exist, then die
        private_redis.kill()
        waiting = asyncio.create_task(notifier.wait("job", timeout=30))
        await eventually(lambda: notifier.stats().waiters == 1)
        private_redis.start()
        await wait_numsub(private_redis.url, {notifier.channel("job"): 1}, within=20)
        await notifier.notify("job", "done")
        assert await waiting == "done"


async def test_user_events_reach_their_sockets_after_a_restart(private_redis) -> None:
    """After a restart each user's channel is subscribed again and events reach only that user."""
    holder = create_event_bus(private_redis.url, namespace="app")
    sender = create_event_bus(private_redis.url, namespace="app")
    assert isinstance(holder, RedisUserEventBus)
    sockets = {user: FakeWebSocket(user) for user in ("alice", "bob")}
    routers = [EventRouter(user, holder) for user in sockets]
    try:
        for router in routers:
            await router.connect(sockets[router.user_id])
        channels = {holder.channel(user): 1 for user in sockets}
        await wait_numsub(private_redis.url, channels)
        private_redis.restart()
        await wait_numsub(private_redis.url, channels, within=20)
        await sender.send_to_user("alice", {"n": 1})
        await sender.send_to_user("alice", {"n": 2})
        await eventually(lambda: len(sockets["alice"].texts) == 2)
        for router in routers:
            await router.flush()
        assert sockets["alice"].events == [{"n": 1}, {"n": 2}]
        assert sockets["bob"].texts == []
    finally:
        for closeable in (*routers, holder, sender):
            await closeable.aclose()


async def test_a_server_that_stops_answering_is_noticed_by_pings(private_redis) -> None:
    """A hung server (SIGSTOP) fails the idle ping; once it answers, the channel works again."""
    client = aioredis.Redis.from_url(private_redis.url, socket_connect_timeout=1, socket_timeout=1)
    received: list[bytes] = []
    hub = ChannelHub(
        client, on_message=lambda _, data: received.append(data), name="t", ping_interval=0.2
    )
    try:
        await asyncio.shield(hub.retain("ch"))
        await asyncio.sleep(0.6)  # idle, but the pings are answered
        assert hub.reconnects == 0
        private_redis.hang()
        await asyncio.sleep(1.0)
        private_redis.resume()
        await eventually(lambda: hub.reconnects >= 1 and hub.connected, within=20)
        await client.publish("ch", "after")
        await eventually(lambda: received == [b"after"])
    finally:
        await hub.aclose()
        await client.aclose()
