"""One user's websocket connections in this process, and what counts as a connection."""

from __future__ import annotations

import logging
from typing import Any, Protocol, runtime_checkable

from rescope.events._codec import encode

__all__ = ["ConnectionManager", "WebSocketLike"]

log = logging.getLogger("rescope.events")


@runtime_checkable
class WebSocketLike(Protocol):
    """Anything events can be sent to: Starlette's and FastAPI's ``WebSocket`` qualify.

    Events are encoded to JSON once, however many connections receive them, and sent as
    text: what ``WebSocket.send_json`` would have sent.
    """

    async def send_text(self, data: str) -> None:
        """Send one text frame."""


class ConnectionManager:
    """The websocket connections of one user in this process (SESSION scope, per user).

    A connection whose send raises (the client went away) is removed, and the others still
    get the event. The manager does not own the sockets: the endpoint that accepted one
    closes it, and calls :meth:`remove` (or lets the next failed send remove it).

    Args:
        user_id: The user these connections belong to.
    """

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self._connections: dict[int, WebSocketLike] = {}
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._connections)

    def __contains__(self, websocket: object) -> bool:
        return id(websocket) in self._connections

    def __repr__(self) -> str:
        return f"ConnectionManager(user_id={self.user_id!r}, connections={len(self)})"

    @property
    def connections(self) -> tuple[WebSocketLike, ...]:
        """The connections, oldest first."""
        return tuple(self._connections.values())

    def add(self, websocket: WebSocketLike) -> None:
        """Hold ``websocket`` (adding one twice keeps it once).

        Args:
            websocket: An accepted connection of this manager's user.
        """
        self._connections[id(websocket)] = websocket

    def remove(self, websocket: WebSocketLike) -> bool:
        """Forget ``websocket``; return whether it was held."""
        return self._connections.pop(id(websocket), None) is not None

    def clear(self) -> None:
        """Forget every connection (the user's scope ends)."""
        self._connections.clear()

    async def send(self, event: Any) -> int:
        """Send ``event`` as JSON to every connection; return how many got it.

        Args:
            event: A JSON value.

        Raises:
            EventEncodingError: ``event`` is not a JSON value.
        """
        return await self.send_text(encode(event, what=f"an event for user {self.user_id!r}"))

    async def send_text(self, text: str) -> int:
        """Send already-encoded ``text`` to every connection; return how many got it.

        A connection whose send raises is removed and counted in :attr:`dropped`.
        """
        delivered = 0
        for key, websocket in list(self._connections.items()):
            try:
                await websocket.send_text(text)
            except Exception as exc:  # noqa: BLE001 - any failure means the socket is gone
                if self._connections.pop(key, None) is not None:
                    self.dropped += 1
                    log.debug("user %s: dropped a connection (%r)", self.user_id, exc)
            else:
                delivered += 1
        return delivered
