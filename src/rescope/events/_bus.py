"""The user event bus: carries events to the processes that hold a user's connections."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from rescope.events._codec import encode
from rescope.exceptions import EventsClosedError

__all__ = ["BusStats", "InMemoryUserEventBus", "Subscription", "UserEventBus"]

log = logging.getLogger("rescope.events")

Sink = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BusStats:
    """What a bus holds in this process; all zero once every subscription is closed.

    Attributes:
        users: Users with at least one subscription here.
        subscriptions: Open subscriptions.
        channels: Redis channels subscribed (0 in-process).
    """

    users: int
    subscriptions: int
    channels: int


class Subscription:
    """One sink attached to one user's events; :meth:`aclose` detaches it.

    Args:
        bus: The bus it is attached to.
        user_id: The user whose events it receives.
        sink: Called with each event's JSON text, on the event loop; must not block.
    """

    def __init__(self, bus: UserEventBus, user_id: str, sink: Sink) -> None:
        self.bus = bus
        self.user_id = user_id
        self.sink = sink
        self.closed = False

    async def aclose(self) -> None:
        """Detach; the bus unsubscribes the user's channel when this was its last sink."""
        if self.closed:
            return
        self.closed = True
        await self.bus._detach(self)  # noqa: SLF001 - the bus and its handles work together


class UserEventBus(ABC):
    """Routes events by user: :meth:`send_to_user` reaches that user's sinks, and only them.

    The bus lives as long as the application (APP scope). Each user's
    :class:`~rescope.events.EventRouter` (SESSION scope) subscribes a sink for its user and
    hands events to that user's connections. Create a bus with :func:`create_event_bus`.

    Args:
        namespace: Keeps this bus's channels apart from other buses'.
    """

    def __init__(self, *, namespace: str = "rescope") -> None:
        self.namespace = namespace.rstrip(":") or "rescope"
        self._sinks: dict[str, list[Subscription]] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    async def send_to_user(self, user_id: str, event: Any) -> None:
        """Send ``event`` to every connection of ``user_id``, in every process.

        Args:
            user_id: The user to reach.
            event: A JSON value (what the browser receives).

        Raises:
            EventEncodingError: ``event`` is not a JSON value.
            EventsClosedError: The bus is closed.
        """
        self._check_open(f"send an event to user {user_id!r}")
        await self._publish(user_id, encode(event, what=f"an event for user {user_id!r}"))

    async def subscribe(self, user_id: str, sink: Sink) -> Subscription:
        """Call ``sink`` with the JSON text of every event sent to ``user_id`` from now on.

        Returns once the subscription is in place: an event sent after that reaches it.

        Args:
            user_id: The user whose events to receive.
            sink: Called on the event loop with each event's JSON text; must not block.

        Raises:
            EventsClosedError: The bus is closed.
        """
        self._check_open(f"subscribe to user {user_id!r}")
        subscription = Subscription(self, user_id, sink)
        self._sinks.setdefault(user_id, []).append(subscription)
        try:
            await self._attach(user_id)
        except BaseException:
            self._remove(subscription)
            raise
        return subscription

    def stats(self) -> BusStats:
        """Return the users and subscriptions this bus holds in this process."""
        return BusStats(
            users=len(self._sinks),
            subscriptions=sum(len(subs) for subs in self._sinks.values()),
            channels=self._channels(),
        )

    async def aclose(self) -> None:
        """Close: detach every subscription, end tasks and release the Redis connection."""
        if self._closed:
            return
        self._closed = True
        for subscriptions in self._sinks.values():
            for subscription in subscriptions:
                subscription.closed = True
        self._sinks.clear()
        await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _deliver(self, user_id: str, text: str) -> None:
        for subscription in tuple(self._sinks.get(user_id, ())):
            try:
                subscription.sink(text)
            except Exception:
                log.exception("a sink for user %s failed", user_id)

    async def _detach(self, subscription: Subscription) -> None:
        if self._remove(subscription) and not self._closed:
            await self._release(subscription.user_id)

    def _remove(self, subscription: Subscription) -> bool:
        subscriptions = self._sinks.get(subscription.user_id)
        if not subscriptions or subscription not in subscriptions:
            return False
        subscriptions.remove(subscription)
        if not subscriptions:
            del self._sinks[subscription.user_id]
        return True

    def _check_open(self, action: str) -> None:
        if self._closed:
            raise EventsClosedError(f"{type(self).__name__}({self.namespace!r})", action=action)

    @abstractmethod
    async def _publish(self, user_id: str, text: str) -> None:
        """Carry ``text`` to every process with sinks for ``user_id``."""

    @abstractmethod
    async def _attach(self, user_id: str) -> None:
        """Make sure events for ``user_id`` reach this process (one more sink)."""

    @abstractmethod
    async def _release(self, user_id: str) -> None:
        """One sink of ``user_id`` less."""

    @abstractmethod
    def _channels(self) -> int:
        """Subscribed Redis channels."""

    @abstractmethod
    async def _close(self) -> None:
        """Release connections and tasks."""


class InMemoryUserEventBus(UserEventBus):
    """A :class:`UserEventBus` within one process: the embedded default.

    Events are still encoded to JSON (once per event), so what works here works over Redis,
    and every connection receives exactly the text a browser would.

    Args:
        namespace: A name for messages.
    """

    async def _publish(self, user_id: str, text: str) -> None:
        self._deliver(user_id, text)

    async def _attach(self, user_id: str) -> None:
        del user_id  # sinks are all in this process

    async def _release(self, user_id: str) -> None:
        del user_id

    def _channels(self) -> int:
        return 0

    async def _close(self) -> None:
        return None
