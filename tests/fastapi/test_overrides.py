"""Overrides in tests: container.override, app.dependency_overrides and the Overrides helper."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rescope import Container
from rescope.fastapi import Overrides, dependency_for, setup
from tests.fastapi.sample import Auth, DbSession, make_app, registry, router


class FakeAuth:
    path = "/fake"

    def __init__(self) -> None:
        self.session = None


@pytest.fixture(name="app")
def fixture_app() -> Iterator[FastAPI]:
    """The sample app, started."""
    app = make_app()
    with TestClient(app):
        yield app


@pytest.fixture(name="override")
def fixture_override(app: FastAPI) -> Iterator[Overrides]:
    """The override helper of the started sample app, undone on teardown."""
    with Overrides(app) as override:
        yield override


def test_container_override_applies_to_testclient_requests(app: FastAPI) -> None:
    """``container.override`` replaces a service for requests made inside the block only."""
    container = app.state.rescope.container
    client = TestClient(app)
    with container.override(Auth, FakeAuth()):
        assert client.get("/router/auth").json() == {"path": "/fake", "same": False}
    assert client.get("/router/auth").json()["path"] == "/router/auth"


@pytest.mark.anyio
async def test_container_override_applies_to_httpx_async_client() -> None:
    """``container.override`` works with ``httpx.AsyncClient`` over ``ASGITransport`` too."""
    built = Container(registry())
    app = FastAPI()
    app.include_router(router)
    setup(app, built)  # a built container: no lifespan needed
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with built.override(Auth, FakeAuth()):
            assert (await client.get("/router/auth")).json()["path"] == "/fake"
        assert (await client.get("/router/auth")).json()["path"] == "/router/auth"


def test_dependency_overrides_replace_inject_everywhere(app: FastAPI) -> None:
    """Overriding ``dependency_for(T)`` replaces ``Inject[T]`` in routes and in dependencies."""
    app.dependency_overrides[dependency_for(Auth)] = FakeAuth
    try:
        client = TestClient(app)
        assert client.get("/router/auth").json()["path"] == "/fake"  # a path operation
        assert client.get("/auth", params={"q": 1}).json()["path"] == "/fake"  # a dependency
    finally:
        app.dependency_overrides.clear()
    assert TestClient(app).get("/router/auth").json()["path"] == "/router/auth"


def test_override_helper_as_context_manager(app: FastAPI, override: Overrides) -> None:
    """``with override(T, fake):`` replaces ``T`` inside the block and restores it after."""
    client = TestClient(app)
    with override(Auth, FakeAuth()):
        assert client.get("/router/auth").json()["path"] == "/fake"
    assert client.get("/router/auth").json()["path"] == "/router/auth"


def test_override_helper_is_undone_on_close(app: FastAPI) -> None:
    """Overrides left active, including dependency overrides, are undone when the helper closes."""
    client = TestClient(app)
    with Overrides(app) as override:
        override(Auth, FakeAuth())
        override(DbSession, factory=lambda: DbSession.__new__(DbSession))
        override.dependency(Auth, FakeAuth)
        assert client.get("/router/auth").json()["path"] == "/fake"
    assert app.dependency_overrides == {}
    assert client.get("/router/auth").json() == {"path": "/router/auth", "same": True}
