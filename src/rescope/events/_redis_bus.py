"""The Redis user event bus: one channel per user, so any instance can reach any user."""

from __future__ import annotations

import asyncio
from typing import Any

from rescope.events._bus import UserEventBus
from rescope.events._hub import ChannelHub
from rescope.events._redis_notifier import redis_client

__all__ = ["RedisUserEventBus"]

_DETACH_WAIT = 2.0


class RedisUserEventBus(UserEventBus):
    """A :class:`UserEventBus` over Redis pub/sub, for several app instances.

    Every user has a channel, ``<namespace>:user:<user_id>``. An instance subscribes to a
    user's channel while it holds a subscription for that user (that is, while one of the
    user's connections is open on it) and unsubscribes when the last one goes; all of an
    instance's channels share one pub/sub connection. :meth:`send_to_user` publishes on the
    user's channel, so every instance that holds one of the user's connections delivers
    the event, and no other user's connections ever see it. Delivery is at most once, like
    Redis pub/sub: an instance that is disconnected from Redis misses what is sent meanwhile.

    Args:
        redis: A ``redis.asyncio.Redis`` client (not closed by the bus) or a ``redis://``
            URL (the bus opens and closes its own client).
        namespace: Prefix of every channel; buses with different namespaces are separate.

    Raises:
        MissingExtraError: A URL was given and ``rescope[redis]`` is not installed.
    """

    def __init__(self, redis: Any, *, namespace: str = "rescope") -> None:
        super().__init__(namespace=namespace)
        self._redis, self._owns_client = redis_client(redis, module=__name__)
        self._prefix = f"{self.namespace}:user:"
        self._hub = ChannelHub(self._redis, on_message=self._message, name=f"bus.{self.namespace}")

    def channel(self, user_id: str) -> str:
        """The Redis channel that carries ``user_id``'s events."""
        return f"{self._prefix}{user_id}"

    def tasks(self) -> list[asyncio.Task[None]]:
        """The background tasks this bus runs now (none once it is closed)."""
        return self._hub.tasks()

    async def _publish(self, user_id: str, text: str) -> None:
        await self._redis.publish(self.channel(user_id), text)

    async def _attach(self, user_id: str) -> None:
        channel = self.channel(user_id)
        subscribed = self._hub.retain(channel)
        try:
            await asyncio.shield(subscribed)
        except BaseException:
            self._hub.release(channel)  # cancelled while subscribing: do not keep the count
            raise

    async def _release(self, user_id: str) -> None:
        done = self._hub.release(self.channel(user_id))
        # Wait for Redis to confirm, briefly: closing a user's scope must not hang on Redis.
        await asyncio.wait({done}, timeout=_DETACH_WAIT)

    def _channels(self) -> int:
        return self._hub.channels

    async def _close(self) -> None:
        await self._hub.aclose()
        if self._owns_client:
            await self._redis.aclose()

    def _message(self, channel: str, data: str | bytes) -> None:
        if channel.startswith(self._prefix):
            text = data.decode() if isinstance(data, bytes) else data
            self._deliver(channel.removeprefix(self._prefix), text)
