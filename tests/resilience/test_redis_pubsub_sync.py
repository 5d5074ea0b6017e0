"""Sync subscriptions that survive a Redis restart, against real redis-servers."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from rescope.resilience import ResilientRedis, ResilientRedisSync, SyncSubscription
from tests.servers import PrivateRedis, SharedRedis


def publish(url: str, channel: str, message: str) -> int:
    plain = redis.Redis.from_url(url)
    try:
        return int(plain.publish(channel, message))
    finally:
        plain.close()


def subscribers(url: str, channel: str) -> int:
    """How many connections the server has subscribed to ``channel``."""
    plain = redis.Redis.from_url(url)
    try:
        return int(dict(plain.pubsub_numsub(channel))[channel.encode()])
    finally:
        plain.close()


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    msg = "condition not reached in time"
    raise AssertionError(msg)


def is_subscribed(sub: SyncSubscription) -> bool:
    return sub.subscribed


def test_messages_published_after_a_restart_arrive(private_redis: PrivateRedis) -> None:
    """Kill and restart redis-server under a thread iterating: later messages still arrive."""
    client = ResilientRedisSync(private_redis.url, socket_timeout=0.5, connect_timeout=0.25)
    received: list[bytes] = []
    with client.subscribe("jobs", patterns=["user:*"], reconnect_max=0.2) as sub:
        assert is_subscribed(sub)

        def read() -> None:
            for message in sub:
                received.append(message["data"])  # noqa: PERF401 - read while it fills

        reader = threading.Thread(target=read)
        reader.start()
        assert publish(private_redis.url, "jobs", "before") == 1
        wait_for(lambda: received == [b"before"])

        private_redis.kill()
        time.sleep(0.3)  # the reader sees the loss and retries in the dark
        private_redis.start()
        wait_for(lambda: sub.reconnects == 1 and sub.subscribed)

        assert publish(private_redis.url, "jobs", "after") == 1
        assert publish(private_redis.url, "user:7", "for ada") == 1
        wait_for(lambda: len(received) == 3)
        assert received == [b"before", b"after", b"for ada"]
    reader.join(5)  # iteration ends when the subscription closes
    assert not reader.is_alive()
    client.close()


def test_get_message_returns_none_while_redis_stays_down(private_redis: PrivateRedis) -> None:
    """While Redis is down, get_message() keeps trying only until its timeout, then says None."""
    client = ResilientRedisSync(private_redis.url, socket_timeout=0.5, connect_timeout=0.25)
    with client.subscribe("jobs", reconnect_initial=0.01, reconnect_max=0.05) as sub:
        private_redis.kill()
        start = time.monotonic()
        assert sub.get_message(timeout=0.3) is None
        assert time.monotonic() - start < 1.5  # 0.3 s plus one connect timeout
        assert not is_subscribed(sub)
        private_redis.start()
        publish(private_redis.url, "jobs", "lost")  # nobody is subscribed yet
        message: dict[str, Any] | None = None
        while message is None and sub.reconnects == 0:
            message = sub.get_message(timeout=0.3)
        assert is_subscribed(sub)
        assert publish(private_redis.url, "jobs", "kept") == 1
        message = sub.get_message(timeout=2)
        assert message is not None
        assert (message["channel"], message["data"]) == (b"jobs", b"kept")
    client.close()


def test_leaving_the_block_unsubscribes_on_the_server(shared_redis: SharedRedis) -> None:
    """Exiting ``with`` closes the connection: the server counts no subscriber, reads end."""
    channel = shared_redis.key("orders")
    with ResilientRedisSync(shared_redis.url) as client:
        with client.subscribe(channel) as sub:
            assert subscribers(shared_redis.url, channel) == 1
            assert client.publish(channel, "paid") == 1
            message = sub.get_message(timeout=2)
            assert message is not None
            assert (message["type"], message["data"]) == ("message", b"paid")
        wait_for(lambda: subscribers(shared_redis.url, channel) == 0)
        assert sub.get_message(timeout=0.1) is None
        assert list(sub) == []
        assert not is_subscribed(sub)


def test_close_from_another_thread_stops_the_reader(shared_redis: SharedRedis) -> None:
    """close() while a thread iterates: the thread stops within a second, the server is left."""
    channel = shared_redis.key("events")
    received: list[bytes] = []
    with ResilientRedisSync(shared_redis.url) as client:
        sub = client.subscribe(channel).__enter__()
        reader = threading.Thread(target=lambda: received.extend(m["data"] for m in sub))
        reader.start()
        assert client.publish(channel, "one") == 1
        wait_for(lambda: received == [b"one"])
        stopped_at = time.monotonic()
        sub.close()
        reader.join(5)
        assert not reader.is_alive()
        assert time.monotonic() - stopped_at < 2  # one 1 s read slice, and slack
        wait_for(lambda: subscribers(shared_redis.url, channel) == 0)
        assert not is_subscribed(sub)


def test_the_sync_subscribe_takes_the_async_arguments() -> None:
    """Both clients' subscribe() take the same arguments with the same defaults."""
    sync_params = inspect.signature(ResilientRedisSync.subscribe).parameters
    async_params = inspect.signature(ResilientRedis.subscribe).parameters
    assert [(p.name, p.kind, p.default) for p in sync_params.values()] == [
        (p.name, p.kind, p.default) for p in async_params.values()
    ]
