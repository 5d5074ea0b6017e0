"""One Redis pub/sub connection per notifier or bus, owned by a single task.

Channels are reference-counted: the first user of a channel subscribes it, the last one
unsubscribes it. A subscription is confirmed (Redis answers each SUBSCRIBE on the pub/sub
connection), so a caller that awaits :meth:`ChannelHub.retain` knows that a publish made
after that point reaches it.

One task owns the connection. It reads messages and, between reads, sends the SUBSCRIBE
and UNSUBSCRIBE commands that the reference counts call for; nothing else touches the
connection, so reads, commands and reconnects never race. When commands are due while the
task waits for a message, the wait is interrupted (redis-py's reads are cancel-safe: its own
read timeouts work the same way), so a subscription costs one round trip. redis-py's
reconnect-and-retry is switched off on this connection: on any connection error the task
drops the connection, opens a new one with backoff, subscribes every channel in use and,
once Redis has confirmed them all, calls ``on_reconnect`` so that its owner can catch up on
what was published meanwhile. An idle connection is pinged, so a server that stopped
answering is noticed as well as one that went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["ChannelHub"]

log = logging.getLogger("rescope.events")

_BACKOFF_START = 0.05
_BACKOFF_MAX = 2.0
_STOP_WAIT = 1.0
_PING_INTERVAL = 15.0


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _resolve(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


def _done() -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


class ChannelHub:
    """Reference-counted subscriptions over one pub/sub connection, owned by one task.

    Args:
        redis: A ``redis.asyncio.Redis`` client; the hub takes one connection from its pool.
        on_message: Called with ``(channel, data)`` for every message, on the event loop.
        on_reconnect: Called once the channels are subscribed again on a new connection
            (messages published while there was none were missed).
        name: Names the hub's task (``rescope.events.<name>.pubsub``).
        ping_interval: Seconds without a message before the connection is pinged; no
            answer within as long again counts as a lost connection.
    """

    def __init__(
        self,
        redis: Any,
        *,
        on_message: Callable[[str, str | bytes], None],
        on_reconnect: Callable[[], None] | None = None,
        name: str,
        ping_interval: float = _PING_INTERVAL,
    ) -> None:
        self._redis = redis
        self._on_message = on_message
        self._on_reconnect = on_reconnect
        self.name = name
        self.ping_interval = ping_interval
        self.reconnects = 0
        # What the users want: channels with their counts, and who waits for what.
        self._refs: dict[str, int] = {}
        self._ready: dict[str, asyncio.Future[None]] = {}
        self._gone: dict[str, list[asyncio.Future[None]]] = {}
        self._dirty: set[str] = set()
        # The owner task's view of the current connection.
        self._pubsub: Any = None
        self._saved: tuple[Any, Any] | None = None
        self._sent: set[str] = set()
        self._replies: dict[str, int] = {}
        self._resync: set[str] = set()
        self._catch_up = False
        self._connected_once = False
        self._healthy = False
        self._ping_unanswered = False
        # The owner task and how to reach it.
        self._task: asyncio.Task[None] | None = None
        self._interrupt: asyncio.Timeout | None = None
        self._woken = False
        self._stop = asyncio.Event()
        self._closed = False

    @property
    def channels(self) -> int:
        """How many channels are in use (subscribed, or about to be)."""
        return len(self._refs)

    @property
    def connected(self) -> bool:
        """Whether the pub/sub connection is open and every channel in use is confirmed."""
        return self._pubsub is not None and not self._dirty and not self._replies

    def tasks(self) -> list[asyncio.Task[None]]:
        """The hub's running task (none before first use and after :meth:`aclose`)."""
        task = self._task
        return [task] if task is not None and not task.done() else []

    def retain(self, channel: str) -> asyncio.Future[None]:
        """Count one more user of ``channel``; the future completes once it is subscribed.

        Await it through :func:`asyncio.shield`: it is shared by every concurrent user.
        """
        if self._closed:
            return _done()
        count = self._refs.get(channel, 0)
        self._refs[channel] = count + 1
        if count:
            return self._ready[channel]
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ready[channel] = future
        self._changed(channel)
        return future

    def release(self, channel: str) -> asyncio.Future[None]:
        """Count one user less; the last one unsubscribes. The future completes when done.

        It never needs awaiting (a cancelled waiter calls this from ``finally``).
        """
        if self._closed:
            return _done()
        count = self._refs.get(channel, 0) - 1
        if count > 0:
            self._refs[channel] = count
            return _done()
        self._refs.pop(channel, None)
        self._resync.discard(channel)
        _resolve(self._ready.pop(channel, None))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._gone.setdefault(channel, []).append(future)
        self._changed(channel)
        return future

    async def aclose(self) -> None:
        """Stop the task and close the pub/sub connection (Redis drops its subscriptions)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._wake()
        task = self._task
        if task is not None and (await asyncio.wait({task}, timeout=_STOP_WAIT))[1]:
            # redis-py can swallow a cancellation that lands inside a command, so the wait
            # stays bounded and the connection is closed from here if need be.
            task.cancel()
            if (await asyncio.wait({task}, timeout=_STOP_WAIT))[1]:
                log.warning("%s: task %s did not stop", self.name, task.get_name())
        await self._disconnect()
        for future in self._ready.values():
            _resolve(future)
        self._refs.clear()
        self._ready.clear()

    # --- called by users of the hub -------------------------------------------------------

    def _changed(self, channel: str) -> None:
        self._dirty.add(channel)
        self._settle(channel)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"rescope.events.{self.name}.pubsub")
        else:
            self._wake()

    def _wake(self) -> None:
        self._woken = True
        scope = self._interrupt
        if scope is not None and not scope.expired():
            scope.reschedule(asyncio.get_running_loop().time())

    def _settle(self, channel: str) -> None:
        """Complete the futures of ``channel`` if the connection is as its users want it."""
        if self._replies.get(channel):
            return
        if channel in self._refs:
            if channel in self._sent:
                _resolve(self._ready.get(channel))
        elif channel not in self._sent:
            for future in self._gone.pop(channel, ()):
                _resolve(future)

    # --- the owner task -------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = _BACKOFF_START
        while not self._closed:
            try:
                await self._connect()
                await self._serve()
            except Exception as exc:  # noqa: BLE001 - any failure: a new connection
                if not self._closed:
                    log.warning("%s: pub/sub connection lost (%s); reconnecting", self.name, exc)
            finally:
                await self._disconnect()
            if self._healthy:
                backoff = _BACKOFF_START
            if not self._closed:
                await self._pause(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _connect(self) -> None:
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._healthy = False
        self._pubsub = pubsub = self._redis.pubsub()
        await pubsub.connect()
        # No hidden reconnects on this connection: a reconnect inside a read or a command
        # would resubscribe behind the hub's back. Errors come here and get a new connection.
        connection = pubsub.connection
        self._saved = (connection.retry, connection.health_check_interval)
        connection.retry = Retry(NoBackoff(), 0, supported_errors=())
        connection.health_check_interval = 0
        channels = list(self._refs)
        self._dirty.clear()
        if self._connected_once:
            self.reconnects += 1
            self._catch_up = True
            self._resync = set(channels)
        self._connected_once = True
        if channels:
            self._expect(channels, subscribe=True)
            await pubsub.subscribe(*channels)
        self._check_catch_up()

    async def _serve(self) -> None:
        while not self._closed:
            if self._dirty:
                await self._apply()
            message = await self._read()
            if message is not None:
                self._healthy = True
                self._ping_unanswered = False
                self._dispatch(message)

    async def _apply(self) -> None:
        dirty, self._dirty = self._dirty, set()
        subscribe = [c for c in dirty if c in self._refs and c not in self._sent]
        unsubscribe = [c for c in dirty if c not in self._refs and c in self._sent]
        if unsubscribe:
            self._expect(unsubscribe, subscribe=False)
            await self._pubsub.unsubscribe(*unsubscribe)
        if subscribe:
            self._expect(subscribe, subscribe=True)
            await self._pubsub.subscribe(*subscribe)
        for channel in dirty:
            self._settle(channel)
        self._check_catch_up()

    def _expect(self, channels: list[str], *, subscribe: bool) -> None:
        for channel in channels:
            if subscribe:
                self._sent.add(channel)
            else:
                self._sent.discard(channel)
            self._replies[channel] = self._replies.get(channel, 0) + 1

    async def _read(self) -> dict[str, Any] | None:
        """Return the next message, or ``None`` when commands are due or the line was idle."""
        self._woken = False
        scope = asyncio.timeout(self.ping_interval)
        try:
            async with scope:
                self._interrupt = scope
                try:
                    if self._dirty or self._closed:
                        return None
                    message: dict[str, Any] | None = await self._pubsub.get_message(timeout=None)
                finally:
                    self._interrupt = None
        except TimeoutError:
            if not scope.expired():
                raise
            if not self._woken:
                await self._ping()
            return None
        return message

    async def _ping(self) -> None:
        if self._ping_unanswered:
            msg = f"no answer from Redis for {2 * self.ping_interval:g}s"
            raise ConnectionError(msg)
        self._ping_unanswered = True
        await self._pubsub.ping()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "message":
            channel = _text(message["channel"])
            try:
                self._on_message(channel, message["data"])
            except Exception:
                log.exception("%s: handling a message on %s failed", self.name, channel)
        elif kind in {"subscribe", "unsubscribe"}:
            channel = _text(message["channel"])
            due = self._replies.get(channel, 0) - 1
            if due > 0:
                self._replies[channel] = due
            else:
                self._replies.pop(channel, None)
            if kind == "subscribe":
                self._resync.discard(channel)
            self._settle(channel)
            self._check_catch_up()

    def _check_catch_up(self) -> None:
        if not self._catch_up or self._resync:
            return
        self._catch_up = False
        if self._on_reconnect is not None:
            try:
                self._on_reconnect()
            except Exception:
                log.exception("%s: catching up after a reconnect failed", self.name)

    async def _pause(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def _disconnect(self) -> None:
        """Forget the connection's state and close it; its subscriptions end with it."""
        pubsub, self._pubsub = self._pubsub, None
        self._sent.clear()
        self._replies.clear()
        self._resync.clear()
        self._ping_unanswered = False
        gone, self._gone = self._gone, {}
        for futures in gone.values():
            for future in futures:
                _resolve(future)
        if pubsub is None:
            return
        connection, saved, self._saved = pubsub.connection, self._saved, None
        if connection is not None and saved is not None:
            connection.retry, connection.health_check_interval = saved
        try:
            await pubsub.aclose()
        except Exception as exc:  # noqa: BLE001 - the connection is being thrown away
            log.debug("%s: closing the pub/sub connection failed (%s)", self.name, exc)
