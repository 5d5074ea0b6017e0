"""One user's event router: the bus's events for that user, out to that user's sockets."""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any, Self

from rescope.events._bus import Subscription, UserEventBus
from rescope.events._connections import ConnectionManager, WebSocketLike
from rescope.exceptions import ConfigurationError, EventsClosedError

__all__ = ["EventRouter"]

log = logging.getLogger("rescope.events")


class EventRouter:
    """Delivers a user's events to that user's connections in this process (SESSION scope).

    On the first :meth:`connect` the router subscribes its user on the bus; events for the
    user then go into a bounded queue that one task drains into the user's
    :class:`ConnectionManager`, in order. A slow or dead socket therefore never holds up
    other users, and a user whose queue is full loses the newest events (counted in
    :attr:`dropped`) rather than growing memory without bound. :meth:`aclose` (run when the
    user's scope is evicted) detaches from the bus, ends the task and forgets the sockets.

    Args:
        user_id: The user this router serves.
        bus: The application's :class:`UserEventBus`.
        connections: The user's connection manager (a new one when omitted).
        max_queue: Events that may wait for delivery before new ones are dropped.

    Raises:
        ConfigurationError: ``max_queue`` is less than 1.
    """

    def __init__(
        self,
        user_id: str,
        bus: UserEventBus,
        connections: ConnectionManager | None = None,
        *,
        max_queue: int = 1000,
    ) -> None:
        if max_queue < 1:
            raise ConfigurationError(
                f"max_queue={max_queue!r} must be at least 1: it is how many events may wait"
                " for a slow connection.",
                setting="max_queue",
                hint="max_queue=1000.",
            )
        self.user_id = user_id
        self.bus = bus
        self.connections = connections if connections is not None else ConnectionManager(user_id)
        self.dropped = 0
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(max_queue)
        self._subscription: Subscription | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"EventRouter(user_id={self.user_id!r}, connections={len(self.connections)})"

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    async def connect(self, websocket: WebSocketLike) -> None:
        """Hold ``websocket`` and make sure the user's events reach this process.

        Args:
            websocket: An accepted connection of this router's user.

        Raises:
            EventsClosedError: The router is closed.
        """
        self._check_open("connect a websocket")
        self.connections.add(websocket)
        await self.start()

    def disconnect(self, websocket: WebSocketLike) -> None:
        """Stop sending to ``websocket`` (the endpoint saw it close)."""
        self.connections.remove(websocket)

    async def start(self) -> None:
        """Subscribe the user on the bus now (``connect`` does it on first use).

        Raises:
            EventsClosedError: The router is closed.
        """
        self._check_open("start")
        async with self._lock:
            if self._subscription is not None:
                return
            self._subscription = await self.bus.subscribe(self.user_id, self._enqueue)
            self._drain_task = asyncio.create_task(
                self._drain(), name=f"rescope.events.router.{self.user_id}"
            )

    async def send(self, event: Any) -> None:
        """Send ``event`` to every connection of this router's user, in every process.

        Raises:
            EventEncodingError: ``event`` is not a JSON value.
            EventsClosedError: The router or the bus is closed.
        """
        self._check_open("send an event")
        await self.bus.send_to_user(self.user_id, event)

    async def send_to_user(self, user_id: str, event: Any) -> None:
        """Send ``event`` to every connection of ``user_id``, in every process.

        Args:
            user_id: The user to reach (any user: a job of this user may notify another).
            event: A JSON value.

        Raises:
            EventEncodingError: ``event`` is not a JSON value.
            EventsClosedError: The router or the bus is closed.
        """
        self._check_open(f"send an event to user {user_id!r}")
        await self.bus.send_to_user(user_id, event)

    async def flush(self) -> None:
        """Wait until every event that reached this process was handed to the sockets."""
        await self._queue.join()

    def pending(self) -> int:
        """Events received and not yet handed to the sockets."""
        return self._queue.qsize()

    def tasks(self) -> list[asyncio.Task[None]]:
        """The router's running tasks (one while started, none after :meth:`aclose`)."""
        task = self._drain_task
        return [task] if task is not None and not task.done() else []

    async def aclose(self) -> None:
        """Detach from the bus, stop delivering and forget the user's connections."""
        if self._closed:
            return
        self._closed = True
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await subscription.aclose()
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
        task, self._drain_task = self._drain_task, None
        if task is not None:
            self._queue.put_nowait(None)  # stops the loop even if a send swallowed the cancel
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        self.connections.clear()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _enqueue(self, text: str) -> None:
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("user %s: event queue full, dropped an event", self.user_id)

    async def _drain(self) -> None:
        while not self._closed:
            text = await self._queue.get()
            try:
                if text is not None:
                    await self.connections.send_text(text)
            finally:
                self._queue.task_done()

    def _check_open(self, action: str) -> None:
        if self._closed:
            raise EventsClosedError(f"EventRouter for user {self.user_id!r}", action=action)
