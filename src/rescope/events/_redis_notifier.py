"""The Redis completion notifier: a notify in one process wakes waiters in every process."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from rescope._extras import import_extra
from rescope.events._completion import CompletionNotifier, NotifierStats, Outcome, Waiters
from rescope.events._hub import ChannelHub

__all__ = ["RedisNotifier", "redis_client"]

log = logging.getLogger("rescope.events")


def redis_client(redis: Any, *, module: str, max_connections: int = 50) -> tuple[Any, bool]:
    """Return ``(client, owned)``: a ``redis.asyncio.Redis`` for a URL (owned), or ``redis``.

    A client made from a URL uses a blocking pool of ``max_connections``: a burst of
    callers waits for a free connection rather than failing. A command that finds its
    pooled connection dead (Redis restarted) reconnects and is retried, up to 3 times.

    Raises:
        MissingExtraError: A URL was given and redis-py is not installed.
    """
    if isinstance(redis, str):
        aioredis = import_extra("redis.asyncio", extra="redis", module=module)
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialWithJitterBackoff

        # Publishing or storing an outcome twice is harmless, so retrying is safe.
        retry = Retry(ExponentialWithJitterBackoff(cap=1.0, base=0.05), 3)
        pool = aioredis.BlockingConnectionPool.from_url(
            redis, max_connections=max_connections, retry=retry
        )
        return aioredis.Redis.from_pool(pool), True
    return redis, False


class RedisNotifier(CompletionNotifier):
    """A :class:`CompletionNotifier` shared by every process that uses the same Redis.

    ``notify`` stores the outcome under ``<namespace>:done:<key>`` with a TTL of
    ``retention`` (so a late waiter finds it) and publishes it on the channel of the same
    name (so current waiters, in any process, wake at once). A waiter subscribes to its
    key's channel, confirmed, before it looks for a stored outcome, so no completion falls
    between the two. All channels of one notifier share one pub/sub connection; a key's
    channel is unsubscribed when its last local waiter leaves. Results and error payloads
    travel as JSON.

    Args:
        redis: A ``redis.asyncio.Redis`` client (not closed by the notifier) or a
            ``redis://`` URL (the notifier opens and closes its own client).
        namespace: Prefix of every key and channel; notifiers with different namespaces on
            one Redis never see each other.
        retention: Seconds a completion is kept for late waiters (0: not kept).
        default_timeout: Seconds :meth:`wait` waits without a timeout (``None``: no limit).

    Raises:
        MissingExtraError: A URL was given and ``rescope[redis]`` is not installed.
        ConfigurationError: ``retention`` is out of range.
    """

    def __init__(
        self,
        redis: Any,
        *,
        namespace: str = "rescope",
        retention: float = 60.0,
        default_timeout: float | None = 300.0,
    ) -> None:
        super().__init__(namespace=namespace, retention=retention, default_timeout=default_timeout)
        self._redis, self._owns_client = redis_client(redis, module=__name__)
        self._prefix = f"{self.namespace}:done:"
        self._waiters = Waiters()
        self._hub = ChannelHub(
            self._redis,
            on_message=self._message,
            on_reconnect=self._reconnected,
            name=f"notifier.{self.namespace}",
        )
        self._catch_up: set[asyncio.Task[None]] = set()

    def channel(self, key: str) -> str:
        """The Redis channel, and key, that carry ``key``'s completion."""
        return f"{self._prefix}{key}"

    def stats(self) -> NotifierStats:
        """Return this process's waiters and subscribed channels."""
        return NotifierStats(
            keys=len(self._waiters.keys()),
            waiters=self._waiters.count(),
            retained=None,
            channels=self._hub.channels,
        )

    def tasks(self) -> list[asyncio.Task[None]]:
        """The background tasks this notifier runs now (none once it is closed)."""
        return [*self._hub.tasks(), *(t for t in self._catch_up if not t.done())]

    async def _wait(self, key: str) -> Outcome:
        channel = self.channel(key)
        future = self._waiters.add(key)
        subscribed = self._hub.retain(channel)
        try:
            await asyncio.shield(subscribed)
            if not future.done():
                await self._read_stored(key)
            return await future
        finally:
            self._waiters.discard(key, future)
            self._hub.release(channel)

    async def _read_stored(self, key: str) -> None:
        """Resolve ``key`` from its stored outcome, if there is one."""
        task = asyncio.current_task()
        cancelling = task.cancelling() if task is not None else 0
        try:
            stored = await self._redis.get(self.channel(key))
        except Exception as exc:  # noqa: BLE001 - the publish, or the catch-up, still comes
            if not self.closed:
                log.warning("notifier %s: reading %r failed (%s)", self.namespace, key, exc)
            return
        finally:
            # On Python 3.11, asyncio.wait_for (which redis-py uses to write) can swallow a
            # cancellation; a waiter that was cancelled or timed out must not wait on.
            if task is not None and task.cancelling() > cancelling:
                raise asyncio.CancelledError
        if stored is not None:
            self._waiters.resolve(key, Outcome.from_wire(stored))

    async def _complete(self, key: str, outcome: Outcome) -> None:
        channel = self.channel(key)
        data = outcome.to_wire(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            if self.retention > 0:
                pipe.set(channel, data, px=max(1, math.ceil(self.retention * 1000)))
            pipe.publish(channel, data)
            await pipe.execute()

    async def _close(self) -> None:
        self._waiters.fail_all(self._closed_error("wait"))
        for task in self._catch_up:
            task.cancel()
        await asyncio.gather(*self._catch_up, return_exceptions=True)
        self._catch_up.clear()
        await self._hub.aclose()
        if self._owns_client:
            await self._redis.aclose()

    def _message(self, channel: str, data: str | bytes) -> None:
        if channel.startswith(self._prefix):
            self._waiters.resolve(channel.removeprefix(self._prefix), Outcome.from_wire(data))

    def _reconnected(self) -> None:
        keys = self._waiters.keys()
        if keys and not self.closed:
            task = asyncio.create_task(
                self._fetch_stored(keys), name=f"rescope.events.notifier.{self.namespace}.catch-up"
            )
            self._catch_up.add(task)
            task.add_done_callback(self._catch_up.discard)

    async def _fetch_stored(self, keys: list[str]) -> None:
        # Completions published while the connection was down were not received; the
        # stored copies (within the retention window) were.
        try:
            stored = await self._redis.mget([self.channel(key) for key in keys])
        except Exception as exc:  # noqa: BLE001 - still down: the next reconnect retries
            log.warning("notifier %s: catching up after reconnect failed (%s)", self.namespace, exc)
            return
        for key, data in zip(keys, stored, strict=True):
            if data is not None:
                self._waiters.resolve(key, Outcome.from_wire(data))
