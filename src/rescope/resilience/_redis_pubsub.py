"""A pub/sub subscription that survives Redis restarts by reconnecting and resubscribing.

Pub/sub is at-most-once: messages published while the subscriber is disconnected are
lost. What this adds over a plain redis-py ``PubSub`` is that the subscription comes back
by itself, so every message published once Redis is up again arrives.

:class:`SubscriptionCore` holds what the async and sync subscriptions share: channels and
patterns, the reconnection backoff, the confirmation of a (re)subscription and the read
loop. It is written once as coroutines over four I/O steps; :class:`ResilientSubscription`
awaits redis.asyncio in them, and the sync twin (``_redis_pubsub_sync``) makes them block
without ever suspending, so ``run_sync`` drives the same loop without an event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable
from typing import Any, Self

__all__ = ["ResilientSubscription", "SubscriptionCore"]

logger = logging.getLogger("rescope.resilience")

_CONFIRMATIONS = frozenset({"subscribe", "psubscribe"})
_MESSAGES = frozenset({"message", "pmessage"})


class SubscriptionCore(ABC):
    """Channels, patterns, backoff and the read loop of a reconnecting subscription.

    Args:
        client: The redis-py client to subscribe through (its ``pubsub()`` is used).
        channels: Channels to subscribe to.
        patterns: Patterns to subscribe to.
        down: The exception types that mean the connection is lost.
        reconnect_initial: Seconds before the first reconnection attempt.
        reconnect_max: Longest wait between attempts.
        confirm_timeout: Seconds the server has to confirm a (re)subscription.
    """

    def __init__(  # noqa: PLR0913
        self,
        client: Any,
        channels: Iterable[str],
        patterns: Iterable[str] = (),
        *,
        down: tuple[type[BaseException], ...] = (ConnectionError, OSError, TimeoutError),
        reconnect_initial: float = 0.05,
        reconnect_max: float = 2.0,
        confirm_timeout: float = 1.0,
    ) -> None:
        self._client = client
        self.channels = tuple(channels)
        self.patterns = tuple(patterns)
        self._down = down
        self._lost: tuple[type[BaseException], ...] = (*down, TimeoutError)
        self.reconnect_initial = reconnect_initial
        self.reconnect_max = reconnect_max
        self.confirm_timeout = confirm_timeout
        self._pubsub: Any = None
        self._pending: deque[dict[str, Any]] = deque()
        self._closed = False
        self._wait = reconnect_initial
        self.reconnects = 0
        # one reader at a time: sync readers take it, async ones run in one event loop
        self._reading = threading.Lock()

    @property
    def subscribed(self) -> bool:
        """Whether the server has confirmed the current subscription."""
        return self._pubsub is not None

    # --- the I/O steps each subscription provides ---------------------------------------

    @abstractmethod
    async def _send_subscribe(self, pubsub: Any) -> None:
        """Send SUBSCRIBE and PSUBSCRIBE for ``self.channels`` and ``self.patterns``."""

    @abstractmethod
    async def _read(self, pubsub: Any, seconds: float | None) -> Any:
        """Return ``pubsub.get_message(timeout=seconds)`` (``None``: wait for one)."""

    @abstractmethod
    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` between reconnection attempts."""

    @abstractmethod
    async def _close(self, pubsub: Any) -> None:
        """Close ``pubsub`` and its connection."""

    # --- the shared loop ----------------------------------------------------------------

    async def _next_message(self, seconds: float | None) -> dict[str, Any] | None:
        """The next message, reconnecting within ``seconds``; ``None`` when they ran out."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self._closed:
            if self._pending:
                return self._pending.popleft()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            if self._pubsub is None:
                if not await self._reconnect(deadline):
                    return None
                continue
            try:
                message = await self._read(self._pubsub, left)
            except self._down as exc:
                logger.warning("subscription %s lost its connection: %r", self.channels, exc)
                await self._drop()
                continue
            if message is not None and message["type"] in _MESSAGES:
                return dict(message)
        return None

    async def _connect(self) -> None:
        """Subscribe on a new connection and wait until the server confirmed every name."""
        pubsub = self._client.pubsub()
        try:
            await self._send_subscribe(pubsub)
            await self._confirm(pubsub)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._close(pubsub)
            raise
        self._pubsub = pubsub

    async def _confirm(self, pubsub: Any) -> None:
        """Read one confirmation per name, keeping messages that arrive in between.

        Raises:
            TimeoutError: The server did not confirm within ``confirm_timeout``.
        """
        expected = len(self.channels) + len(self.patterns)
        deadline = time.monotonic() + self.confirm_timeout
        while expected:
            left = deadline - time.monotonic()
            if left <= 0:
                msg = f"Redis did not confirm the subscription within {self.confirm_timeout}s"
                raise TimeoutError(msg)
            message = await self._read(pubsub, left)
            if message is None:
                continue
            if message["type"] in _CONFIRMATIONS:
                expected -= 1
            elif message["type"] in _MESSAGES:
                self._pending.append(dict(message))

    async def _reconnect(self, deadline: float | None) -> bool:
        """Connect again, waiting longer after each failure; ``False`` if time ran out."""
        while not self._closed:
            try:
                await self._connect()
            except self._lost:
                pass
            else:
                self.reconnects += 1
                self._wait = self.reconnect_initial
                logger.info("subscription %s is back after a reconnection", self.channels)
                return True
            wait = self._wait
            if deadline is not None and time.monotonic() + wait > deadline:
                await self._sleep(max(0.0, deadline - time.monotonic()))
                return False
            await self._sleep(wait)
            self._wait = min(wait * 2, self.reconnect_max)
        return False

    async def _drop(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await self._close(pubsub)


class ResilientSubscription(SubscriptionCore):
    """Channels and patterns of one subscriber, resubscribed after every reconnection.

    Made by :meth:`ResilientRedis.subscribe`. Enter it (``async with``) to subscribe;
    ``subscribed`` is confirmed by the server when that returns. Then iterate over it or
    call :meth:`get_message`. When the connection drops, the next read reconnects with a
    doubling wait (``reconnect_initial`` up to ``reconnect_max``) and resubscribes;
    ``reconnects`` counts how often that happened.

    Args:
        client: The ``redis.asyncio.Redis`` to subscribe through.
        channels: Channels to subscribe to.
        patterns: Patterns to subscribe to.
        down: The exception types that mean the connection is lost.
        reconnect_initial: Seconds before the first reconnection attempt.
        reconnect_max: Longest wait between attempts.
        confirm_timeout: Seconds the server has to confirm a (re)subscription.
    """

    async def __aenter__(self) -> Self:
        await self._connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Unsubscribe and close the connection; iteration ends."""
        self._closed = True
        await self._drop()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not self._closed:
            message = await self.get_message(timeout=1.0)
            if message is not None:
                return message
        raise StopAsyncIteration

    async def get_message(self, timeout: float | None = 1.0) -> dict[str, Any] | None:  # noqa: ASYNC109
        """Return the next message (``type`` message or pmessage), or ``None`` after ``timeout``.

        A lost connection is re-established within the call, as long as time is left.

        Args:
            timeout: Seconds to wait (``None``: until a message arrives).
        """
        return await self._next_message(timeout)

    async def _send_subscribe(self, pubsub: Any) -> None:
        if self.channels:
            await pubsub.subscribe(*self.channels)
        if self.patterns:
            await pubsub.psubscribe(*self.patterns)

    async def _read(self, pubsub: Any, seconds: float | None) -> Any:
        return await pubsub.get_message(timeout=seconds)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _close(self, pubsub: Any) -> None:
        await pubsub.aclose()
