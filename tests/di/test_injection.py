"""Injecting the container, the current scope, and entering context-manager classes."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import pytest

from rescope import Container, Registry, Scope
from rescope.di import Kind, ScopedContainer
from rescope.exceptions import (
    AsyncProviderError,
    RegistrationError,
    UnresolvableParameterError,
)


class Request:
    pass


class Handler:
    def __init__(self, scope: ScopedContainer, container: Container) -> None:
        self.scope = scope
        self.container = container


class AppWide:
    def __init__(self, container: Container) -> None:
        self.container = container


class Misplaced:
    def __init__(self, scope: ScopedContainer) -> None:
        self.scope = scope


class Client:
    """A sync client that must be entered before use and exited after."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.open = False

    def __enter__(self) -> Self:
        self.open = True
        self.log.append("enter")
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.open = False
        self.log.append(f"exit {et.__name__ if et else None}")


class AsyncClient:
    """An async client: entered with ``__aenter__``, closed with ``__aexit__``."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def __aenter__(self) -> Self:
        self.log.append("aenter")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.log.append("aexit")


class Handle:
    pass


class Opener:
    """A context manager whose ``__enter__`` returns another object (like ``open``)."""

    def __enter__(self) -> Handle:
        return Handle()

    def __exit__(self, *exc_info: object) -> None:
        pass


def make_opener() -> Opener:
    return Opener()


def test_scope_and_container_are_injected_by_type() -> None:
    """`ScopedContainer` gives the scope a service lives in; `Container` gives the container."""
    registry = Registry()
    registry.add(Handler, scope=Scope.REQUEST)
    registry.add(AppWide)
    container = Container(registry)
    assert container.get(AppWide).container is container
    with container.scope(Scope.REQUEST) as request:
        with request.scope(Scope.ACTION) as action:
            handler = action.get(Handler)
        assert handler.scope is request
        assert handler.container is container
        assert request.get(Handler) is handler


@pytest.mark.parametrize("scope", [Scope.APP, Scope.TRANSIENT])
def test_scope_injection_needs_an_entered_scope(scope: Scope) -> None:
    """An APP or TRANSIENT service asking for ScopedContainer fails the build, naming Container."""
    registry = Registry()
    registry.add(Misplaced, scope=scope)
    with pytest.raises(UnresolvableParameterError) as info:
        Container(registry)
    assert str(info.value).startswith(
        "parameter `scope` of `tests.di.test_injection.Misplaced` cannot be injected: a"
        f" ScopedContainer is the entered scope a service lives in, and a {scope} service"
        " lives in none.\nTry annotating it `Container`"
    )


def test_entered_class_is_exited_when_its_scope_closes() -> None:
    """With enter=True a context-manager class is entered on creation, exited on close."""
    log: list[str] = []
    registry = Registry()
    registry.value(log, provides=list[str])
    registry.add(Client, scope=Scope.REQUEST, enter=True)
    container = Container(registry)
    with container.scope(Scope.REQUEST) as scope:
        client = scope.get(Client)
        assert client.open
        assert scope.get(Client) is client
    assert not client.open
    with pytest.raises(ValueError, match="boom"):
        fail_inside(container)
    assert log == ["enter", "exit None", "enter", "exit ValueError"]


def fail_inside(container: Container) -> None:
    with container.scope(Scope.REQUEST) as scope:
        scope.get(Client)
        raise ValueError("boom")


def test_class_that_is_a_context_manager_is_not_entered_unless_asked() -> None:
    """Without enter=True a context-manager class is built and never entered."""
    log: list[str] = []
    registry = Registry()
    registry.value(log, provides=list[str])
    registry.add(Client, scope=Scope.REQUEST)
    container = Container(registry)
    with container.scope(Scope.REQUEST) as scope:
        assert not scope.get(Client).open
    assert log == []


@pytest.mark.anyio
async def test_entered_async_class_is_awaited() -> None:
    """With enter=True a class with ``__aenter__`` needs aget and is exited on aclose."""
    log: list[str] = []
    registry = Registry()
    registry.value(log, provides=list[str])
    registry.add(AsyncClient, scope=Scope.REQUEST, enter=True)
    container = Container(registry)
    async with container.scope(Scope.REQUEST) as scope:
        with pytest.raises(AsyncProviderError):
            scope.get(AsyncClient)
        await scope.aget(AsyncClient)
    assert log == ["aenter", "aexit"]


def test_factory_with_enter_provides_what_entering_returns() -> None:
    """A sync factory registered with enter=True provides the value ``__enter__`` returns."""
    registry = Registry()
    registry.add(make_opener, scope=Scope.REQUEST, provides=Handle, enter=True)
    registry.add(Opener, provides=Opener)
    container = Container(registry)
    assert [p.kind for p in registry] == [Kind.CONTEXT_MANAGER, Kind.CLASS]
    with container.scope(Scope.REQUEST) as scope:
        assert isinstance(scope.get(Handle), Handle)


def test_enter_on_something_that_cannot_be_entered_is_rejected() -> None:
    """enter=True on a plain class or on a generator raises RegistrationError at once."""
    with pytest.raises(RegistrationError, match="is not a context manager class"):
        Registry().add(Request, enter=True)

    def gen() -> Client:
        yield  # type: ignore[misc]

    with pytest.raises(RegistrationError, match="enter=True applies to classes and sync"):
        Registry().add(gen, provides=Client, enter=True)
