"""The generated per-route wrappers: APP values bound per container state, the rest per request."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rescope import Container, Registry, Scope
from rescope.fastapi import Inject, setup

_ids = itertools.count()


class Config:
    """APP singleton."""

    def __init__(self) -> None:
        self.name = "real"


class Client:
    """APP singleton depending on Config (made anew when Config is overridden)."""

    def __init__(self, config: Config) -> None:
        self.config = config


class Stamp:
    """TRANSIENT with no dependency: effective scope APP, yet a new one per resolution."""

    def __init__(self) -> None:
        self.id = next(_ids)


class Pool:
    """APP, from an async generator."""


class Conn:
    """REQUEST, from an async generator."""


async def pool() -> AsyncIterator[Pool]:
    yield Pool()


async def conn() -> AsyncIterator[Conn]:
    yield Conn()


def make() -> tuple[FastAPI, Container]:
    registry = Registry()
    registry.add(Config)
    registry.add(Client)
    registry.add(Stamp, scope=Scope.TRANSIENT)
    registry.add(pool)
    registry.add(conn, scope=Scope.REQUEST)
    container = Container(registry)
    app = FastAPI()

    @app.get("/client")
    async def client_view(client: Inject[Client]) -> str:
        return client.config.name

    @app.get("/stamp")
    def stamp_view(stamp: Inject[Stamp]) -> int:
        return stamp.id

    @app.get("/async")
    async def async_view(p: Inject[Pool], c: Inject[Conn], client: Inject[Client]) -> list[str]:
        return [type(p).__name__, type(c).__name__, client.config.name]

    setup(app, container)
    return app, container


def test_app_values_follow_overrides_and_their_end() -> None:
    """An APP value bound by a route is replaced while an override runs and restored after."""
    app, container = make()
    client = TestClient(app)
    assert client.get("/client").json() == "real"
    fake = Config()
    fake.name = "fake"
    with container.override(Config, fake):
        assert client.get("/client").json() == "fake"  # its dependent Client is made anew
    assert client.get("/client").json() == "real"


def test_transients_are_not_bound_as_constants() -> None:
    """A transient whose effective scope is APP is still made anew for every request."""
    app, _ = make()
    client = TestClient(app)
    first, second = client.get("/stamp").json(), client.get("/stamp").json()
    assert first != second


def test_async_providers_in_app_and_request_scope() -> None:
    """Async APP and REQUEST providers are awaited by the generated wrapper."""
    app, _ = make()
    client = TestClient(app)
    for _ in range(2):  # the first request learns which keys need an await
        assert client.get("/async").json() == ["Pool", "Conn", "real"]


def test_closed_container_is_not_served_from_bound_values() -> None:
    """After the container closes, a route that bound APP values fails instead of reusing them."""
    app, container = make()
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/client").status_code == 200
    container.close()
    assert client.get("/client").status_code == 500
