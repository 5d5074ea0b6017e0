"""Lazy injection: ``Lazy[T]`` and ``Callable[[], T]`` resolve when called, not when injected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from rescope import Container, Registry, Scope
from rescope.di import Lazy
from rescope.exceptions import AsyncProviderError, MissingDependencyError, ScopeNotActiveError


class Session:
    pass


class Connection:
    pass


class Mailer:
    """APP-scoped, needs the current request's session each time it sends."""

    def __init__(self, session: Lazy[Session]) -> None:
        self.session = session


class CallableMailer:
    def __init__(self, session: Callable[[], Session]) -> None:
        self.session = session


class Report:
    """REQUEST-scoped, defers an expensive REQUEST-scoped dependency."""

    def __init__(self, session: Lazy[Session]) -> None:
        self.session = session


class Parent:
    def __init__(self, child: Lazy[Child]) -> None:
        self.child = child


class Child:
    def __init__(self, parent: Parent) -> None:
        self.parent = parent


class Orphan:
    def __init__(self, session: Lazy[Session]) -> None:
        self.session = session


async def connect() -> AsyncIterator[Connection]:
    yield Connection()


class Pool:
    def __init__(self, connection: Lazy[Connection]) -> None:
        self.connection = connection


def registry_with(*services: type) -> Registry:
    registry = Registry()
    registry.add(Session, scope=Scope.REQUEST)
    for service in services:
        registry.add(service)
    return registry


@pytest.mark.parametrize("mailer", [Mailer, CallableMailer], ids=["Lazy", "Callable"])
def test_app_service_gets_the_current_request_value(mailer: type) -> None:
    """An APP service's lazy resolves the session of whichever request is current."""
    container = Container(registry_with(mailer))
    service = container.get(mailer)
    with container.scope(Scope.REQUEST) as first:
        earlier = service.session()
        assert earlier is first.get(Session)
        assert service.session() is earlier
        with first.scope(Scope.ACTION):
            assert service.session() is earlier
    with container.scope(Scope.REQUEST) as second:
        assert service.session() is second.get(Session)
        assert service.session() is not earlier


def test_lazy_outside_any_scope_says_which_scope_to_enter() -> None:
    """Called outside every request, the lazy raises ScopeNotActiveError naming REQUEST."""
    container = Container(registry_with(Mailer))
    service = container.get(Mailer)
    with pytest.raises(ScopeNotActiveError, match="needs scope REQUEST"):
        service.session()
    with container.scope(Scope.REQUEST):
        pass
    with pytest.raises(ScopeNotActiveError):
        service.session()


def test_lazy_ignores_scopes_of_another_container() -> None:
    """A lazy does not resolve from a scope that belongs to a different container."""
    container = Container(registry_with(Mailer))
    other = Container(registry_with(Mailer))
    service = container.get(Mailer)
    with other.scope(Scope.REQUEST), pytest.raises(ScopeNotActiveError):
        service.session()


@pytest.mark.anyio
async def test_tasks_each_see_their_own_request() -> None:
    """Concurrent tasks calling one APP service's lazy each get their own request's session."""
    container = Container(registry_with(Mailer))
    service = container.get(Mailer)

    async def handle() -> bool:
        async with container.scope(Scope.REQUEST) as scope:
            await asyncio.sleep(0.01)
            return service.session() is scope.get(Session)

    assert all(await asyncio.gather(*(handle() for _ in range(20))))


def test_same_lifetime_lazy_binds_to_its_own_scope() -> None:
    """A REQUEST service's lazy of a REQUEST service resolves from that service's request."""
    container = Container(registry_with())
    registry = Registry(registry_with())
    registry.add(Report, scope=Scope.REQUEST)
    container = Container(registry)
    with container.scope(Scope.REQUEST) as scope:
        report = scope.get(Report)
        with scope.scope(Scope.ACTION):
            assert report.session() is scope.get(Session)
    assert repr(report.session) == f"<Lazy {__name__}.Session>"
    assert report.session.service is Session


def test_lazy_breaks_a_cycle() -> None:
    """Two services that need each other build when one side takes the other lazily."""
    registry = Registry()
    registry.add(Parent)
    registry.add(Child)
    container = Container(registry)
    parent = container.get(Parent)
    assert parent.child().parent is parent


def test_lazy_of_nothing_fails_the_build() -> None:
    """A lazy of a type nothing provides fails when the container is built."""
    registry = Registry()
    registry.add(Orphan)
    with pytest.raises(MissingDependencyError, match=r"`tests\.di\.test_lazy\.Session`"):
        Container(registry)


@pytest.mark.anyio
async def test_async_provider_through_lazy_aget() -> None:
    """An async provider is reached with ``await lazy.aget()``; a sync call says to await."""
    registry = Registry()
    registry.add(connect, scope=Scope.REQUEST)
    registry.add(Pool)
    container = Container(registry)
    pool = container.get(Pool)
    async with container.scope(Scope.REQUEST) as scope:
        connection = await pool.connection.aget()
        assert connection is await scope.aget(Connection)
        assert pool.connection() is connection  # already created: no await needed
    async with container.scope(Scope.REQUEST):
        with pytest.raises(AsyncProviderError):
            pool.connection()


def test_containers_without_lazies_do_not_track_the_current_scope() -> None:
    """Scopes of a container whose lazies need no current scope are plain scopes."""
    registry = Registry(registry_with())
    registry.add(Report, scope=Scope.REQUEST)
    plain = Container(registry)
    tracked = Container(registry_with(Mailer))
    assert type(plain.scope(Scope.REQUEST)).__name__ == "OpenScope"
    assert type(tracked.scope(Scope.REQUEST)).__name__ == "TrackedScope"


class Notifier:
    def __init__(self, on_done: Callable[[], None] | None = None) -> None:
        self.on_done = on_done


class Hooked:
    def __init__(self, on_done: Callable[[], Connection] = Connection) -> None:
        self.on_done = on_done


def test_callable_parameter_with_a_default_keeps_it_when_nothing_is_provided() -> None:
    """A `Callable[[], T]` parameter whose T is not provided keeps its default."""
    registry = Registry()
    registry.add(Notifier)
    registry.add(Hooked)
    container = Container(registry)
    assert container.get(Notifier).on_done is None
    assert container.get(Hooked).on_done is Connection
