"""One Redis pub/sub connection per notifier or bus, shared by all of its channels.

Channels are reference-counted: the first user of a channel subscribes it, the last one
unsubscribes it. Subscribing is confirmed (Redis answers each SUBSCRIBE on the pub/sub
connection), so a caller that awaits :meth:`ChannelHub.retain` knows that a publish made
after that point reaches it. Commands go through one writer task in order; one reader
task dispatches messages. If the connection drops, redis-py resubscribes when it
reconnects and the hub calls ``on_reconnect`` so its owner can catch up on what it missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["ChannelHub"]

log = logging.getLogger("rescope.events")

_BACKOFF_START = 0.05
_BACKOFF_MAX = 2.0
_STOP_WAIT = 1.0
_STOP = ("stop", "")


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class ChannelHub:
    """Reference-counted subscriptions over one pub/sub connection, with a reader task.

    Args:
        redis: A ``redis.asyncio.Redis`` client; the hub takes one connection from its pool.
        on_message: Called with ``(channel, data)`` for every message, on the event loop.
        on_reconnect: Called after the connection came back (messages may have been missed).
        name: Names the hub's tasks (``rescope.events.<name>.*``).
    """

    def __init__(
        self,
        redis: Any,
        *,
        on_message: Callable[[str, str | bytes], None],
        on_reconnect: Callable[[], None] | None = None,
        name: str,
    ) -> None:
        self._redis = redis
        self._on_message = on_message
        self._on_reconnect = on_reconnect
        self.name = name
        self._pubsub: Any = None
        self._refs: dict[str, int] = {}
        self._ready: dict[str, asyncio.Future[None]] = {}
        self._pending: dict[str, deque[asyncio.Future[None]]] = {}
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._main: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def channels(self) -> int:
        """How many channels are subscribed (or about to be)."""
        return len(self._refs)

    def tasks(self) -> list[asyncio.Task[None]]:
        """The hub's running tasks (none before first use and after :meth:`aclose`)."""
        return [t for t in (self._main, self._reader) if t is not None and not t.done()]

    def retain(self, channel: str) -> asyncio.Future[None]:
        """Count one more user of ``channel``; the future completes once it is subscribed.

        Await it through :func:`asyncio.shield`: it is shared by every concurrent user.
        """
        count = self._refs.get(channel, 0)
        self._refs[channel] = count + 1
        if count:
            return self._ready.get(channel) or _done()
        future = self._send("subscribe", channel)
        self._ready[channel] = future
        return future

    def release(self, channel: str) -> asyncio.Future[None]:
        """Count one user less; the last one unsubscribes. The future completes when done.

        It never needs awaiting (a cancelled waiter calls this from ``finally``).
        """
        count = self._refs.get(channel, 0) - 1
        if count > 0:
            self._refs[channel] = count
            return _done()
        self._refs.pop(channel, None)
        self._ready.pop(channel, None)
        return self._send("unsubscribe", channel)

    async def aclose(self) -> None:
        """Stop the tasks and close the pub/sub connection (Redis drops its subscriptions)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(_STOP)
        tasks = self.tasks()
        for task in tasks:
            task.cancel()
        # redis-py can swallow a cancellation that lands inside a command, so the loops also
        # stop on the closed flag; closing the connection ends a read that is still blocked.
        pending = (await asyncio.wait(tasks, timeout=_STOP_WAIT))[1] if tasks else set()
        self._confirm_all()
        self._refs.clear()
        self._ready.clear()
        if self._pubsub is not None:
            await self._pubsub.aclose()
            self._pubsub = None
        if pending:
            still = (await asyncio.wait(pending, timeout=_STOP_WAIT))[1]
            for task in still:
                log.warning("%s: task %s did not stop", self.name, task.get_name())

    def _send(self, command: str, channel: str) -> asyncio.Future[None]:
        if self._closed:
            return _done()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(channel, deque()).append(future)
        self._queue.put_nowait((command, channel))
        if self._main is None:
            self._main = asyncio.create_task(self._run(), name=f"rescope.events.{self.name}.pubsub")
        return future

    async def _run(self) -> None:
        self._pubsub = self._redis.pubsub()
        backoff = _BACKOFF_START
        while not self._closed:
            try:
                await self._pubsub.connect()
                break
            except Exception as exc:  # noqa: BLE001 - Redis down at start: retry, waiters time out
                log.warning("%s: cannot connect to Redis (%s); retrying", self.name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)
        if self._stopping():
            return
        self._pubsub.connection.register_connect_callback(self._reconnected)
        self._reader = asyncio.create_task(self._read(), name=f"rescope.events.{self.name}.reader")
        while not self._closed:
            command, channel = await self._queue.get()
            backoff = _BACKOFF_START
            while not self._closed:
                try:
                    await getattr(self._pubsub, command)(channel)
                    break
                except Exception as exc:  # noqa: BLE001 - connection lost: retry the command
                    log.warning("%s: %s %s failed (%s); retrying", self.name, command, channel, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _read(self) -> None:
        backoff = _BACKOFF_START
        while not self._closed:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except Exception as exc:  # noqa: BLE001 - connection lost: redis-py reconnects
                if self._stopping():
                    return
                log.warning("%s: pub/sub connection lost (%s); reconnecting", self.name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)
                await self._resubscribe()
                continue
            backoff = _BACKOFF_START
            if message is not None:
                self._dispatch(message)

    async def _resubscribe(self) -> None:
        # redis-py resubscribes from its connect callback, but a reconnect that races the
        # writer can lose that; subscribing again to every counted channel is idempotent.
        try:
            await self._pubsub.connect()
            if self._refs:
                self._confirm_all()
                await self._pubsub.subscribe(*self._refs)
        except Exception as exc:  # noqa: BLE001 - still down: the read loop tries again
            log.debug("%s: resubscribing failed (%s)", self.name, exc)

    def _stopping(self) -> bool:
        # A method, not the attribute: aclose() flips the flag while a loop awaits.
        return self._closed

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel = _text(message["channel"])
        if kind == "message":
            try:
                self._on_message(channel, message["data"])
            except Exception:
                log.exception("%s: handling a message on %s failed", self.name, channel)
        elif kind in {"subscribe", "unsubscribe"}:
            pending = self._pending.get(channel)
            if pending:
                future = pending.popleft()
                if not future.done():
                    future.set_result(None)
                if not pending:
                    del self._pending[channel]

    async def _reconnected(self, _connection: Any) -> None:
        # The replies to commands sent before the drop are lost; redis-py resubscribes
        # every channel, so release whoever waits for a confirmation.
        self._confirm_all()
        if self._on_reconnect is not None:
            self._on_reconnect()

    def _confirm_all(self) -> None:
        pending, self._pending = self._pending, {}
        for futures in pending.values():
            for future in futures:
                if not future.done():
                    future.set_result(None)


def _done() -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future
