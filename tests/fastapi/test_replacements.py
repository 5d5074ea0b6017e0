"""Replacements with parameters of their own, and the one Overrides helper for both packages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Form, Header
from fastapi.testclient import TestClient
from pydantic import BaseModel

import rescope.testing
from rescope import Container
from rescope.exceptions import ConfigurationError
from rescope.fastapi import ActiveOverride, Inject, Overrides, dependency_for, setup
from tests.fastapi.sample import Auth, make_app, registry


class FakeAuth:
    def __init__(self, path: str) -> None:
        self.path = path
        self.session = None


def tenant(x_tenant: Annotated[str, Header()]) -> str:
    return x_tenant


@pytest.fixture(name="app")
def fixture_app() -> Iterator[FastAPI]:
    """The sample app, started."""
    app = make_app()
    with TestClient(app):
        yield app


def test_replacement_with_parameters_is_solved_by_fastapi(app: FastAPI) -> None:
    """A dependency override taking a query parameter and a dependency gets both from FastAPI."""

    def fake(who: str, org: Annotated[str, Depends(tenant)]) -> FakeAuth:
        return FakeAuth(f"{org}/{who}")

    app.dependency_overrides[dependency_for(Auth)] = fake
    try:
        client = TestClient(app)
        response = client.get("/router/auth", params={"who": "ann"}, headers={"x-tenant": "acme"})
        assert response.json()["path"] == "acme/ann"
        assert client.get("/router/auth", headers={"x-tenant": "acme"}).status_code == 422
    finally:
        app.dependency_overrides.clear()
    assert TestClient(app).get("/router/auth").json()["path"] == "/router/auth"


def test_generator_replacement_is_closed_after_the_response(app: FastAPI) -> None:
    """A generator replacement runs its code after ``yield`` once the request is done."""
    closed: list[str] = []

    def fake() -> Iterator[FakeAuth]:
        yield FakeAuth("/gen")
        closed.append("closed")

    with Overrides(app) as override:
        override.dependency(Auth, fake)
        assert TestClient(app).get("/router/auth").json()["path"] == "/gen"
    assert closed == ["closed"]
    assert app.dependency_overrides == {}


def test_fastapi_overrides_is_the_testing_helper() -> None:
    """``rescope.fastapi.Overrides`` is a ``rescope.testing.Overrides`` with the same handles."""
    assert issubclass(Overrides, rescope.testing.Overrides)
    assert ActiveOverride is rescope.testing.ActiveOverride
    container = Container(registry())
    with Overrides(container) as override:
        active = override(Auth, FakeAuth("/c"))
        assert isinstance(active, rescope.testing.ActiveOverride)
        assert len(override) == 1
        with container.scope(rescope.Scope.REQUEST) as scope:
            assert scope.get(Auth).path == "/c"
    assert not active.active


def test_overrides_made_before_startup_find_the_container_later() -> None:
    """``Overrides(app)`` can be made before the app starts; the container is found on use."""
    app = make_app()
    override = Overrides(app)
    with TestClient(app) as client, override:
        override(Auth, FakeAuth("/early"))
        assert client.get("/router/auth").json()["path"] == "/early"


def test_dependency_override_needs_an_app() -> None:
    """A helper made for a container refuses app dependency overrides, naming the fix."""
    with (
        Overrides(Container(registry())) as override,
        pytest.raises(ConfigurationError, match="Overrides\\(app\\)"),
    ):
        override.dependency(Auth, lambda: None)


def test_overrides_of_an_app_without_setup_say_so() -> None:
    """``Overrides(app)`` of an app rescope does not serve fails with the setup hint."""
    with pytest.raises(ConfigurationError, match="setup"):
        Overrides(FastAPI())(Auth, FakeAuth("/x"))


def test_setup_returns_integration_whose_container_overrides_apply() -> None:
    """The integration's container is the one ``Overrides(app)`` replaces services in."""
    app = FastAPI()
    built = Container(registry())
    setup(app, built)
    assert Overrides(app).container is built


class Login(BaseModel):
    user: str


class Note(BaseModel):
    text: str


def body_app() -> FastAPI:
    """A route whose only parameter is injected: FastAPI reads no body for it."""
    app = FastAPI()

    @app.post("/whoami")
    async def whoami(auth: Inject[Auth]) -> str:
        return str(auth.path)

    @app.post("/with-body")
    async def with_body(note: Note, auth: Inject[Auth]) -> list[str]:
        return [note.text, str(auth.path)]

    setup(app, registry())
    return app


def test_replacement_reading_the_request_body_gets_it() -> None:
    """A replacement declaring a body model is given the body, even when the route has none."""

    def from_body(login: Login) -> FakeAuth:
        return FakeAuth(login.user)

    app = body_app()
    app.dependency_overrides[dependency_for(Auth)] = from_body
    with TestClient(app) as client:
        assert client.post("/whoami", json={"user": "ann"}).json() == "ann"
        missing = client.post("/whoami")
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"] == ["body"]
        broken = client.post("/whoami", content=b"{", headers={"content-type": "application/json"})
        assert broken.status_code == 422
        assert broken.json()["detail"][0]["type"] == "json_invalid"


def test_replacement_reads_the_body_the_route_read_too() -> None:
    """The route already read the body for its own model: the replacement gets the same one."""

    def from_note(note: Note) -> FakeAuth:
        return FakeAuth(note.text.upper())

    app = body_app()
    app.dependency_overrides[dependency_for(Auth)] = from_note
    with TestClient(app) as client:
        assert client.post("/with-body", json={"text": "hi"}).json() == ["hi", "HI"]


def test_form_fields_reach_a_replacement() -> None:
    """Form parameters of a replacement are read from the form body."""

    def from_form(user: Annotated[str, Form()]) -> FakeAuth:
        return FakeAuth(user)

    app = body_app()
    app.dependency_overrides[dependency_for(Auth)] = from_form
    with TestClient(app) as client:
        assert client.post("/whoami", data={"user": "cy"}).json() == "cy"
