"""Injection into path operations, dependencies, routers, sub-apps and websockets (in process)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient

from rescope import Container, Registry, Scope
from rescope.exceptions import ConfigurationError, MissingDependencyError, ScopeViolationError
from rescope.fastapi import Inject, message_scope, setup
from tests.fastapi.sample import DbSession, Journal, make_app


@pytest.fixture(name="client")
def fixture_client() -> Iterator[TestClient]:
    """A started sample app (no user scopes) in a TestClient."""
    with TestClient(make_app()) as client:
        yield client


def test_one_request_scope_serves_every_injected_parameter(client: TestClient) -> None:
    """Path-operation parameters and a dependency of one request share one REQUEST scope."""
    body = client.get("/auth", params={"q": 3}).json()
    assert body["q"] == 3
    assert body["path"] == "/auth"  # the Request, injected into Auth as a context value
    assert body["same"] is True
    events = client.app.state.rescope.container.get(Journal).events
    assert events == [f"open {body['id']}", f"close {body['id']}"]


def test_router_routes_are_injected(client: TestClient) -> None:
    """Routes of an included APIRouter get their services too."""
    assert client.get("/router/auth").json() == {"path": "/router/auth", "same": True}


def test_sync_handler_with_from_container_default(client: TestClient) -> None:
    """A sync handler with ``from_container`` as default gets a live, request-scoped service."""
    first, second = client.get("/sync").json(), client.get("/sync").json()
    assert first["open"] is True
    assert first["id"] != second["id"]


def test_injected_parameters_stay_out_of_openapi(client: TestClient) -> None:
    """The OpenAPI schema lists real parameters only, never injected ones or the connection."""
    paths = client.get("/openapi.json").json()["paths"]
    assert [p["name"] for p in paths["/auth"]["get"]["parameters"]] == ["q"]
    for path in ("/router/auth", "/sync", "/stream", "/user"):
        operation = next(iter(paths[path].values()))
        assert "parameters" not in operation, path
        assert "requestBody" not in operation, path
    assert [p["name"] for p in paths["/leak/{value}"]["get"]["parameters"]] == ["value"]


def test_sub_application_routes_are_injected() -> None:
    """A mounted FastAPI sub-application resolves from the parent's container and scope."""
    registry = Registry()
    registry.add(Journal)
    registry.add(DbSession, scope=Scope.REQUEST)
    sub = FastAPI()

    @sub.get("/inner")
    async def inner(session: Inject[DbSession]) -> dict[str, bool]:
        return {"open": session.open}

    app = FastAPI()
    app.mount("/sub", sub)
    setup(app, registry)
    with TestClient(app) as client:
        assert client.get("/sub/inner").json() == {"open": True}
        assert "parameters" not in client.get("/sub/openapi.json").json()["paths"]["/inner"]["get"]


class Missing:
    """Registered nowhere."""


class Connection:
    """SESSION: one per websocket connection when there are no user scopes."""


class Step:
    """ACTION: one per message."""


def test_websocket_session_per_connection_and_scope_per_message() -> None:
    """Each websocket connection has its own SESSION; each message gets its own ACTION scope."""
    registry = Registry()
    registry.add(Connection, scope=Scope.SESSION)
    registry.add(Step, scope=Scope.ACTION)
    registry.context(WebSocket, scope=Scope.ACTION)
    app = FastAPI()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, connection: Inject[Connection]) -> None:
        await websocket.accept()
        for _ in range(2):
            await websocket.receive_text()
            async with message_scope(websocket, Scope.ACTION) as scope:
                step = scope.get(Step)
                assert scope.get(WebSocket) is websocket
            await websocket.send_json([id(connection), id(step)])
        await websocket.close()

    setup(app, registry)
    with TestClient(app) as client:
        seen = []
        for _ in range(2):
            with client.websocket_connect("/ws") as ws:
                for _ in range(2):
                    ws.send_text("x")
                    seen.append(ws.receive_json())
    connections = [c for c, _ in seen]
    assert connections[0] == connections[1] != connections[2] == connections[3]
    assert len({s for _, s in seen}) == 4


def test_async_user_key_and_anonymous_requests() -> None:
    """An async ``user_key`` keys user scopes; a None key serves the request without one."""

    async def key(connection):
        return connection.headers.get("x-user")

    app = make_app(user_key=key)
    with TestClient(app) as client:
        first = client.get("/user", headers={"x-user": "ann"}).json()
        again = client.get("/user", headers={"x-user": "ann"}).json()
        assert first["state"] == again["state"]
        assert client.get("/auth", params={"q": 1}).json()["same"] is True
        assert len(app.state.rescope.users) == 1


def test_unhandled_error_reaches_generator_finalizers() -> None:
    """When the endpoint raises, the request scope closes with the error thrown into generators."""
    seen: list[object] = []

    def session() -> Iterator[DbSession]:
        try:
            yield DbSession(Journal())
        except RuntimeError as error:
            seen.append(error)
            raise

    registry = Registry()
    registry.add(session, scope=Scope.REQUEST)
    app = FastAPI()

    @app.get("/boom")
    async def boom(session: Inject[DbSession]) -> None:
        raise RuntimeError("boom")

    setup(app, Container(registry))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500
    assert [str(e) for e in seen] == ["boom"]


def test_startup_fails_when_a_route_injects_an_unregistered_type() -> None:
    """A path operation injecting an unprovided type fails the app start, naming the endpoint."""
    app = FastAPI()

    @app.get("/")
    async def index(missing: Inject[Missing]) -> None: ...

    setup(app, Registry())
    with pytest.raises(
        MissingDependencyError, match=r"index` needs .*Missing` \(parameter `missing`\)"
    ):
        TestClient(app).__enter__()


def test_startup_fails_when_a_route_injects_an_action_scoped_type() -> None:
    """A path operation injecting an ACTION-scoped service is a scope violation at startup."""
    registry = Registry()
    registry.add(Step, scope=Scope.ACTION)
    app = FastAPI()

    @app.get("/")
    async def index(step: Inject[Step]) -> None: ...

    setup(app, registry)
    with pytest.raises(ScopeViolationError, match="Step"):
        TestClient(app).__enter__()


def test_injection_without_setup_says_how_to_fix() -> None:
    """Injecting into an app that was not set up raises an error naming ``setup``."""
    app = FastAPI()

    @app.get("/")
    async def index(session: Inject[DbSession]) -> None: ...

    with TestClient(app) as client, pytest.raises(ConfigurationError, match=r"setup\(app"):
        client.get("/")


def test_container_factory_must_return_a_container() -> None:
    """A container factory returning something else fails the start with a clear error."""
    app = FastAPI()
    setup(app, lambda: "not a container")  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigurationError, match="returned 'not a container', not a Container"):
        TestClient(app).__enter__()


def test_shutdown_closes_the_container() -> None:
    """Leaving the TestClient runs the lifespan shutdown: APP finalizers run."""
    closed: list[str] = []

    def journal() -> Iterator[Journal]:
        yield Journal()
        closed.append("journal")

    registry = Registry()
    registry.add(journal)
    app = FastAPI()

    @app.get("/")
    async def index(journal: Inject[Journal]) -> int:
        return len(journal.events)

    setup(app, registry)
    with TestClient(app) as client:
        assert client.get("/").json() == 0
        assert closed == []
    assert closed == ["journal"]


class Engine:
    """APP, made by an async factory."""


async def make_engine() -> Engine:
    return Engine()


class Unit:
    """REQUEST, from an async generator."""

    def __init__(self) -> None:
        self.open = True


async def open_unit() -> AsyncIterator[Unit]:
    unit = Unit()
    yield unit
    unit.open = False


def test_async_providers_are_awaited_on_the_event_loop() -> None:
    """Async factories and async generators are awaited; their finalizers run after the response."""
    registry = Registry()
    registry.add(make_engine)
    registry.add(open_unit, scope=Scope.REQUEST)
    app = FastAPI()
    units: list[Unit] = []

    @app.get("/")
    async def index(engine: Inject[Engine], unit: Inject[Unit]) -> bool:
        units.append(unit)
        return isinstance(engine, Engine) and unit.open

    @app.get("/sync")
    def sync_index(engine: Inject[Engine]) -> bool:
        return isinstance(engine, Engine)

    setup(app, registry)
    with TestClient(app) as client:
        assert client.get("/").json() is True
        assert client.get("/").json() is True
        assert client.get("/sync").json() is True
    assert [u.open for u in units] == [False, False]
