"""The request fast path: inline scope entry, one-call creation, and rescope's stack layer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.testclient import TestClient

from rescope import Container, Registry, Scope
from rescope.exceptions import ConfigurationError
from rescope.fastapi import Inject, current_scope, setup
from rescope.fastapi._middleware import RescopeMiddleware


class Settings:
    """APP singleton."""


class Unit:
    """REQUEST, a plain class: created with one call in a fresh scope."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


class Holder:
    """REQUEST, depends on Unit: Unit must then be the same object in the request."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit


def registry() -> Registry:
    reg = Registry()
    reg.add(Settings)
    reg.add(Unit, scope=Scope.REQUEST)
    reg.add(Holder, scope=Scope.REQUEST)
    return reg


def layers(app: FastAPI) -> list[Any]:
    """The built middleware stack, outermost first, down to the router."""
    node: Any = app.middleware_stack
    out = []
    while node is not None and node is not app.router:
        out.append(node)
        node = getattr(node, "app", None)
    return out


def test_rescope_layer_takes_the_place_of_fastapis_exit_stack_layer() -> None:
    """No layer is added: FastAPI's AsyncExitStackMiddleware is replaced, its job kept."""
    plain, served = FastAPI(), FastAPI()
    setup(served, registry())
    with TestClient(plain), TestClient(served):
        plain_types = [type(layer) for layer in layers(plain)]
        served_types = [type(layer) for layer in layers(served)]
    assert AsyncExitStackMiddleware in plain_types
    assert AsyncExitStackMiddleware not in served_types
    assert len(served_types) == len(plain_types)
    assert served_types.index(RescopeMiddleware) == plain_types.index(AsyncExitStackMiddleware)


def test_uploaded_files_are_still_closed_after_the_request() -> None:
    """FastAPI closes uploads through the stack rescope's layer now provides."""
    app = FastAPI()
    seen: list[UploadFile] = []

    @app.post("/upload")
    async def upload(file: Annotated[UploadFile, File()], unit: Inject[Unit]) -> int:
        seen.append(file)
        assert isinstance(file.file.closed, bool)
        return len(await file.read())

    setup(app, registry())
    with TestClient(app) as client:
        response = client.post("/upload", files={"file": ("a.txt", b"hello")})
    assert response.json() == 5
    assert seen[0].file.closed


def test_setup_after_the_app_started_names_the_fix() -> None:
    """The middleware stack is built when the app starts: setup then refuses, with a hint."""
    app = FastAPI()
    with TestClient(app):
        pass
    with pytest.raises(ConfigurationError, match="already started") as raised:
        setup(app, registry())
    assert "before the app starts" in str(raised.value)


def test_one_call_creation_is_cached_for_the_rest_of_the_request() -> None:
    """A service made with one call is the one later resolutions in the request get."""
    app = FastAPI()

    @app.get("/same")
    async def same(request: Request, unit: Inject[Unit]) -> list[bool]:
        scope = await current_scope(request)
        return [scope.get(Unit) is unit, scope.get(Holder).unit is unit]

    setup(app, registry())
    with TestClient(app) as client:
        for _ in range(2):
            assert client.get("/same").json() == [True, True]


def test_a_key_another_parameter_creates_is_not_made_twice() -> None:
    """Holder creates Unit on the way: the Unit parameter gets that same object."""
    app = FastAPI()

    @app.get("/pair")
    async def pair(holder: Inject[Holder], unit: Inject[Unit], again: Inject[Unit]) -> list[bool]:
        return [holder.unit is unit, unit is again]

    setup(app, registry())
    with TestClient(app) as client:
        for _ in range(2):
            assert client.get("/pair").json() == [True, True]


async def entered_first(request: Request) -> Unit:
    """A FastAPI dependency that enters the request's scope before the route's wrapper."""
    return (await current_scope(request)).get(Unit)


def test_a_scope_entered_by_a_dependency_first_is_the_one_used() -> None:
    """When a FastAPI dependency entered the scope first, the route resolves from it."""
    app = FastAPI()

    @app.get("/dep")
    async def dep(first: Annotated[Unit, Depends(entered_first)], unit: Inject[Unit]) -> bool:
        return first is unit

    setup(app, registry())
    with TestClient(app) as client:
        assert client.get("/dep").json() is True


def test_overrides_reach_services_made_with_one_call() -> None:
    """The one-call plan is made per container state: an override is served, then undone."""
    container = Container(registry())
    app = FastAPI()

    @app.get("/settings")
    async def settings(unit: Inject[Unit]) -> bool:
        return unit.settings is container.get(Settings)

    setup(app, container)
    fake = Settings()
    with TestClient(app) as client:
        assert client.get("/settings").json() is True
        with container.override(Settings, fake):
            assert client.get("/settings").json() is True
            assert container.get(Settings) is fake
        assert client.get("/settings").json() is True


def gen_unit(settings: Settings) -> Iterator[Unit]:
    unit = Unit(settings)
    yield unit
    closed.append(unit)


closed: list[Unit] = []


def test_parameter_names_that_could_clash_fall_back_to_keywords() -> None:
    """An endpoint with ``_``-prefixed or ``**kwargs`` parameters still gets everything."""
    reg = Registry()
    reg.add(Settings)
    reg.add(gen_unit, scope=Scope.REQUEST)
    app = FastAPI()

    @app.get("/odd")
    async def odd(_scope: int, unit: Inject[Unit], _asgi: str = "x") -> list[Any]:
        return [_scope, _asgi, type(unit).__name__]

    setup(app, reg)
    closed.clear()
    with TestClient(app) as client:
        assert client.get("/odd", params={"_scope": 3}).json() == [3, "x", "Unit"]
    assert len(closed) == 1


def test_the_exit_stack_is_an_async_exit_stack_for_fastapi() -> None:
    """Code reading FastAPI's per-request stack finds one."""
    app = FastAPI()
    stacks: list[object] = []

    @app.get("/stack")
    async def stack(request: Request, unit: Inject[Unit]) -> None:
        stacks.append(request.scope["fastapi_middleware_astack"])

    setup(app, registry())
    with TestClient(app) as client:
        client.get("/stack")
    assert isinstance(stacks[0], AsyncExitStack)


events: list[str] = []


def gen_logged_unit(settings: Settings) -> Iterator[Unit]:
    try:
        yield Unit(settings)
    finally:
        events.append("scope closed")


def logged_registry() -> Registry:
    reg = Registry()
    reg.add(Settings)
    reg.add(gen_logged_unit, scope=Scope.REQUEST)
    return reg


def test_the_connection_stack_closes_after_the_scope_with_the_error() -> None:
    """What code pushes onto FastAPI's per-request stack runs once the scope is closed.

    rescope's layer closes that stack itself instead of entering it with ``async with``;
    the callbacks still run after the request's scope is closed, and see the exception a
    failed request ends with.
    """
    app = FastAPI()
    seen: list[type[BaseException] | None] = []

    async def on_close(exc_type: type[BaseException] | None, *_: object) -> None:
        events.append("stack closed")
        seen.append(exc_type)

    @app.get("/push")
    async def push(request: Request, unit: Inject[Unit], fail: bool = False) -> int:
        request.scope["fastapi_middleware_astack"].push_async_exit(on_close)
        if fail:
            raise LookupError("endpoint failed")
        return 1

    @app.get("/quiet")
    async def quiet(unit: Inject[Unit]) -> int:
        return 2

    setup(app, logged_registry())
    events.clear()
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/push").json() == 1
        assert events == ["scope closed", "stack closed"]
        assert client.get("/quiet").json() == 2  # nothing pushed: nothing else runs
        assert events == ["scope closed", "stack closed", "scope closed"]
        events.clear()
        assert client.get("/push", params={"fail": True}).status_code == 500
    assert events == ["scope closed", "stack closed"]
    assert seen == [None, LookupError]


def swallowing_app(served: bool) -> FastAPI:
    """An endpoint that fails after pushing a callback that suppresses the error."""
    app = FastAPI()

    async def swallow(exc_type: type[BaseException] | None, *_: object) -> bool:
        events.append(f"swallowed {exc_type.__name__ if exc_type else None}")
        return True

    if served:

        @app.get("/swallow")
        async def injected(request: Request, unit: Inject[Unit]) -> None:
            request.scope["fastapi_middleware_astack"].push_async_exit(swallow)
            raise LookupError("endpoint failed")

        setup(app, logged_registry())
    else:

        @app.get("/swallow")
        async def plain(request: Request) -> None:
            request.scope["fastapi_middleware_astack"].push_async_exit(swallow)
            raise LookupError("endpoint failed")

    return app


def outcome(app: FastAPI) -> str:
    """The status code, or the test client's complaint when no response came."""
    try:
        with TestClient(app) as client:
            return str(client.get("/swallow").status_code)
    except AssertionError as error:
        return str(error)


def test_a_stack_callback_that_swallows_the_error_acts_as_under_plain_fastapi() -> None:
    """As under ``async with``: a callback returning True suppresses the exception."""
    events.clear()
    plain = outcome(swallowing_app(served=False))
    assert events == ["swallowed LookupError"]
    events.clear()
    served = outcome(swallowing_app(served=True))
    assert events == ["scope closed", "swallowed LookupError"]
    assert served == plain


class Hiding:
    """A middleware that keeps what it wraps under another name than ``app``."""

    def __init__(self, app: Any) -> None:
        self._inner = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._inner(scope, receive, send)


def cleanup_registry() -> Registry:
    reg = Registry()
    reg.add(Settings)
    reg.add(gen_unit, scope=Scope.REQUEST)
    return reg


def test_a_stack_that_hides_fastapis_layer_is_served_from_the_router() -> None:
    """When the walk cannot reach FastAPI's layer, rescope's wraps the router's stack."""
    app = FastAPI()
    app.add_middleware(Hiding)

    @app.get("/unit")
    async def unit_view(unit: Inject[Unit]) -> str:
        return type(unit).__name__

    setup(app, cleanup_registry())
    closed.clear()
    with TestClient(app) as client:
        assert client.get("/unit").json() == "Unit"
        assert len(closed) == 1  # the request's generator ran its cleanup
    assert isinstance(app.router.middleware_stack, RescopeMiddleware)


def test_a_served_app_mounted_in_a_plain_one() -> None:
    """FastAPI's own stack of the outer app is not taken for rescope's state."""
    inner = FastAPI()

    @inner.get("/unit")
    async def unit_view(unit: Inject[Unit]) -> str:
        return type(unit).__name__

    setup(inner, cleanup_registry())
    outer = FastAPI()
    outer.mount("/inner", inner)
    closed.clear()
    with TestClient(inner), TestClient(outer) as client:
        assert client.get("/inner/unit").json() == "Unit"
    assert len(closed) == 1


def test_a_mounted_app_without_its_own_setup_keeps_the_outer_state() -> None:
    """The mounted app's FastAPI layer gives way: its routes resolve from the outer state."""
    sub = FastAPI()

    @sub.post("/upload")
    async def upload(file: Annotated[UploadFile, File()], unit: Inject[Unit]) -> int:
        return len(await file.read())

    app = FastAPI()
    app.mount("/sub", sub)
    setup(app, cleanup_registry())
    closed.clear()
    with TestClient(app) as client:
        assert client.post("/sub/upload", files={"file": ("a", b"abc")}).json() == 3
    assert len(closed) == 1
