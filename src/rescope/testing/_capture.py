"""Event capture: record every websocket message a user receives, and wait for the ones expected."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from rescope.exceptions import ConfigurationError
from rescope.testing._records import WebSocketMessage

__all__ = ["EventCapture", "RecordedWebSocket", "decode"]


def decode(data: str | bytes) -> Any:
    """A message as JSON when it parses as JSON, else as it came."""
    if isinstance(data, bytes):
        try:
            data = data.decode()
        except UnicodeDecodeError:
            return data
    try:
        return json.loads(data)
    except ValueError:
        return data


class EventCapture:
    """Records messages in arrival order and lets a test wait for the ones it expects.

    A capture is also a websocket stand-in: it has ``async send_text(data)``, so it can be
    connected to a ``ConnectionManager`` or an ``EventRouter`` in an in-process test.

    Args:
        path: Where the messages come from, for reports (a websocket path).
        parent: A capture that sees every message this one records as well (the user's
            capture, shared by all of the user's websockets).
        messages: The list to record into (default: a new one).
    """

    def __init__(
        self,
        path: str = "capture",
        *,
        parent: EventCapture | None = None,
        messages: list[WebSocketMessage] | None = None,
    ) -> None:
        self.path = path
        self.messages: list[WebSocketMessage] = [] if messages is None else messages
        self._parent = parent
        self._arrived = asyncio.Event()

    def __len__(self) -> int:
        return len(self.messages)

    def __repr__(self) -> str:
        return f"EventCapture(path={self.path!r}, messages={len(self.messages)})"

    def record(self, data: str | bytes) -> WebSocketMessage:
        """Record one received message (decoded from JSON when it is JSON) and return it."""
        message = WebSocketMessage(self.path, len(self.messages), decode(data), time.monotonic())
        self._add(message)
        return message

    def _add(self, message: WebSocketMessage) -> None:
        self.messages.append(message)
        self._arrived.set()
        if self._parent is not None:
            self._parent._add(message)  # noqa: SLF001 - captures of one user

    async def send_text(self, data: str) -> None:
        """Record ``data`` as if it was sent to a websocket (the ``WebSocketLike`` protocol)."""
        self.record(data)

    def events(self, kind: str | None = None, *, key: str = "type") -> list[Any]:
        """The JSON messages recorded, optionally only those whose ``key`` equals ``kind``.

        Args:
            kind: The event type to keep (all when None).
            key: The field that holds the event type.
        """
        return [
            m.data
            for m in self.messages
            if isinstance(m.data, dict) and (kind is None or m.data.get(key) == kind)
        ]

    async def wait_for(
        self,
        predicate: Callable[[Any], bool] | str | None = None,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a per-call wait, as in asyncio.wait_for
    ) -> list[Any]:
        """Wait until ``count`` recorded messages match ``predicate``; return the matches.

        Args:
            predicate: A function of the decoded message, an event type (matched against
                the ``"type"`` field), or None for any message.
            count: How many matching messages to wait for.
            timeout: Seconds to wait.

        Raises:
            TimeoutError: Fewer than ``count`` matched in time; the message lists what did arrive.
        """
        match = _matcher(predicate)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [m.data for m in self.messages if match(m.data)]
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [m.data for m in self.messages][-10:]
                msg = (
                    f"{self.path}: {len(found)} of {count} expected messages arrived within"
                    f" {timeout:g}s; the last ones received were {seen!r}"
                )
                raise TimeoutError(msg)
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def quiet(self, period: float = 0.2) -> None:
        """Wait until no message arrived for ``period`` seconds (anything late has come)."""
        while True:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), period)
            except TimeoutError:
                return


def _matcher(predicate: Callable[[Any], bool] | str | None) -> Callable[[Any], bool]:
    if predicate is None:
        return lambda _data: True
    if isinstance(predicate, str):
        kind = predicate
        return lambda data: isinstance(data, dict) and data.get("type") == kind
    return predicate


class RecordedWebSocket:
    """A client websocket whose every received message is recorded in an :class:`EventCapture`.

    Made by ``SimulatedUser.websocket(path)``; a reader task records messages until the
    socket closes.

    Args:
        connection: An open ``websockets`` client connection.
        capture: Where received messages are recorded.
    """

    def __init__(self, connection: Any, capture: EventCapture) -> None:
        self.connection = connection
        self.capture = capture
        self.closed_with: str | None = None
        self._reader = asyncio.create_task(self._read(), name=f"rescope.testing.ws{capture.path}")

    def __repr__(self) -> str:
        return f"RecordedWebSocket(path={self.capture.path!r}, received={len(self.capture)})"

    @property
    def messages(self) -> list[Any]:
        """The decoded messages received so far."""
        return [m.data for m in self.capture.messages]

    async def _read(self) -> None:
        try:
            async for data in self.connection:
                self.capture.record(data)
        except Exception as exc:  # noqa: BLE001 - a dropped socket ends the recording
            self.closed_with = f"{type(exc).__name__}: {exc}"

    async def send_text(self, data: str) -> None:
        """Send a text message."""
        await self.connection.send(data)

    async def send_json(self, data: Any) -> None:
        """Send ``data`` encoded as JSON."""
        await self.connection.send(json.dumps(data))

    async def wait_for(
        self,
        predicate: Callable[[Any], bool] | str | None = None,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a per-call wait, as in asyncio.wait_for
    ) -> list[Any]:
        """Wait for messages on this socket; see :meth:`EventCapture.wait_for`.

        Raises:
            TimeoutError: Fewer than ``count`` matched in time.
        """
        return await self.capture.wait_for(predicate, count=count, timeout=timeout)

    async def close(self) -> None:
        """Close the socket and stop recording."""
        await self.connection.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def websocket_url(base_url: str | None, path: str) -> str:
    """The ``ws://`` URL of ``path`` on the server at ``base_url``.

    ``path`` may also be a full ``ws://``, ``wss://`` or ``http(s)://`` URL (of another
    instance of the app), used as it is.

    Raises:
        ConfigurationError: When there is no base URL (an in-process ASGI app).
    """
    if path.startswith(("http://", "https://")):
        base_url, _, rest = path.partition("://")[2].partition("/")
        scheme = "wss" if path.startswith("https://") else "ws"
        return f"{scheme}://{base_url}/{rest}"
    if path.startswith(("ws://", "wss://")):
        return path
    if base_url is None:
        raise ConfigurationError(
            "websockets need a running server, and this simulator talks to an in-process"
            " ASGI app over httpx, which carries HTTP only.",
            setting="base_url",
            hint="serving the app (`async with serve(app) as server:` or a uvicorn process)"
            " and passing `ConcurrentUserSimulator(server.url)`.",
        )
    if base_url.startswith("https://"):
        return "wss://" + base_url.removeprefix("https://").rstrip("/") + path
    return "ws://" + base_url.removeprefix("http://").rstrip("/") + path
