"""Websocket connections under user scopes: a CONNECTION scope of their own, over uvicorn."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from starlette.requests import HTTPConnection
from websockets.asyncio.client import connect

from rescope import Registry, Scope
from rescope.exceptions import ConfigurationError
from rescope.fastapi import CONNECTION, CurrentUser, Inject, current_scope, setup
from tests.fastapi.conftest import Served, serve


@dataclass
class Log:
    """APP: what happened, for the test to read."""

    events: list[str] = field(default_factory=list)


class Inbox:
    """SESSION: one per user, shared by all of that user's connections."""

    def __init__(self, user: CurrentUser) -> None:
        self.user = str(user.key)
        self.seen: list[str] = []


class Socket:
    """CONNECTION: one per websocket, holding that connection's WebSocket."""

    def __init__(self, websocket: WebSocket, inbox: Inbox) -> None:
        self.websocket = websocket
        self.inbox = inbox

    async def echo(self, text: str) -> None:
        self.inbox.seen.append(text)
        await self.websocket.send_json({"user": self.inbox.user, "socket": id(self), "text": text})


def open_socket(websocket: WebSocket, inbox: Inbox, log: Log) -> Iterator[Socket]:
    socket = Socket(websocket, inbox)
    yield socket
    log.events.append(f"socket closed {inbox.user}")


class Greeter:
    """SESSION, holding the WebSocket (a connection of its own when there is no user_key)."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket


def user_of(connection: HTTPConnection) -> str | None:
    return connection.query_params.get("user")


def make_app() -> FastAPI:
    registry = Registry()
    registry.add(Log)
    registry.add(Inbox, scope=Scope.SESSION)
    registry.add(open_socket, scope=CONNECTION)
    registry.context(CurrentUser, scope=Scope.SESSION)
    registry.context(WebSocket, scope=CONNECTION)
    app = FastAPI()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, socket: Inject[Socket]) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await socket.echo(text)

    @app.get("/inbox")
    async def inbox(box: Inject[Inbox]) -> list[str]:
        return box.seen

    setup(app, registry, user_key=user_of)
    return app


@pytest.fixture(name="served")
def fixture_served() -> Iterator[Served]:
    """The app above under uvicorn, with user scopes keyed by ``?user=``."""
    yield from serve(make_app())


@pytest.mark.anyio
async def test_connection_services_get_their_own_websocket_under_a_shared_user_scope(
    served: Served,
) -> None:
    """Two websockets of one user share the user's SESSION but each has its own CONNECTION."""
    async with (
        connect(f"{served.ws_url}/ws?user=alice") as first,
        connect(f"{served.ws_url}/ws?user=alice") as second,
        connect(f"{served.ws_url}/ws?user=bob") as third,
    ):
        await first.send("a1")
        await second.send("a2")
        await third.send("b1")
        one, two, three = [json.loads(await c.recv()) for c in (first, second, third)]
        async with httpx.AsyncClient(base_url=served.url) as client:
            alice = (await client.get("/inbox", params={"user": "alice"})).json()
    assert one["socket"] != two["socket"]  # a service per connection, each with its socket
    assert (one["text"], two["text"], three["text"]) == ("a1", "a2", "b1")
    assert sorted(alice) == ["a1", "a2"]  # one inbox for both of alice's connections
    log = served.app.state.rescope.container.get(Log)
    for _ in range(200):
        if len(log.events) == 3:
            break
        await asyncio.sleep(0.01)
    assert sorted(log.events) == ["socket closed alice"] * 2 + ["socket closed bob"]


def test_websocket_scope_is_connection_without_user_key() -> None:
    """Without user_key a websocket still enters a CONNECTION scope, from APP."""
    registry = Registry()
    registry.context(WebSocket, scope=CONNECTION)
    app = FastAPI()

    @app.websocket("/kind")
    async def kind(websocket: WebSocket) -> None:
        await websocket.accept()
        scope = await current_scope(websocket)
        await websocket.send_text(f"{scope.scope_kind} {scope.get(WebSocket) is websocket}")
        await websocket.close()

    setup(app, registry)
    with TestClient(app) as client, client.websocket_connect("/kind") as socket:
        assert socket.receive_text() == "CONNECTION True"


def test_websocket_as_shared_session_context_fails_startup() -> None:
    """Declaring the WebSocket a SESSION context value with user_key fails at startup."""
    registry = Registry()
    registry.context(WebSocket, scope=Scope.SESSION)
    app = FastAPI()
    setup(app, registry, user_key=user_of)
    with pytest.raises(ConfigurationError, match="scope=CONNECTION") as caught, TestClient(app):
        pass
    assert "shared by all of that user's requests and connections" in str(caught.value)


def test_websocket_declared_for_session_still_reaches_session_services() -> None:
    """Without user_key, a WebSocket declared for SESSION reaches SESSION services, as before."""
    registry = Registry()
    registry.add(Greeter, scope=Scope.SESSION)
    registry.context(WebSocket, scope=Scope.SESSION)
    app = FastAPI()

    @app.websocket("/greet")
    async def greet(websocket: WebSocket, greeter: Inject[Greeter]) -> None:
        await websocket.accept()
        await websocket.send_text(str(greeter.websocket is websocket))
        await websocket.close()

    setup(app, registry)
    with TestClient(app) as client, client.websocket_connect("/greet") as socket:
        assert socket.receive_text() == "True"
