"""ConnectionManager: one user's sockets, dead ones removed, and what counts as a socket."""

from __future__ import annotations

import json

import pytest
from starlette.websockets import WebSocket

from rescope.events import ConnectionManager, WebSocketLike
from rescope.exceptions import EventEncodingError
from tests.events.fakes import FakeWebSocket

pytestmark = pytest.mark.anyio


def test_starlette_websocket_is_a_connection() -> None:
    """Starlette's (and so FastAPI's) WebSocket satisfies the WebSocketLike protocol."""
    assert issubclass(WebSocket, WebSocketLike)
    assert isinstance(FakeWebSocket(), WebSocketLike)


async def test_send_reaches_every_connection_as_json_text() -> None:
    """An event is encoded once and every connection receives the same compact JSON text."""
    manager = ConnectionManager("alice")
    sockets = [FakeWebSocket(f"tab-{i}") for i in range(3)]
    for websocket in sockets:
        manager.add(websocket)
    manager.add(sockets[0])
    assert len(manager) == 3
    assert await manager.send({"type": "progress", "pct": 50, "note": "é"}) == 3
    assert [ws.texts for ws in sockets] == [['{"type":"progress","pct":50,"note":"é"}']] * 3


async def test_dropped_connections_are_removed_and_the_rest_still_receive() -> None:
    """A socket whose send raises is removed and counted; the other sockets get the event."""
    manager = ConnectionManager("alice")
    alive, dead = FakeWebSocket("alive"), FakeWebSocket("dead")
    manager.add(dead)
    manager.add(alive)
    dead.fail()
    assert await manager.send({"n": 1}) == 1
    assert dead not in manager
    assert alive in manager
    assert manager.dropped == 1
    assert await manager.send({"n": 2}) == 1
    assert [json.loads(t) for t in alive.texts] == [{"n": 1}, {"n": 2}]


async def test_remove_and_clear_forget_connections() -> None:
    """remove() reports whether the socket was held; clear() forgets all of them."""
    manager = ConnectionManager("alice")
    first, second = FakeWebSocket(), FakeWebSocket()
    manager.add(first)
    manager.add(second)
    assert manager.remove(first) is True
    assert manager.remove(first) is False
    manager.clear()
    assert len(manager) == 0
    assert await manager.send({"n": 1}) == 0


async def test_events_that_are_not_json_are_refused() -> None:
    """An event that is not a JSON value raises EventEncodingError naming the user."""
    manager = ConnectionManager("alice")
    with pytest.raises(EventEncodingError, match="an event for user 'alice' cannot be sent"):
        await manager.send({"when": object()})
