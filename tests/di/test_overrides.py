"""Overrides for tests: replace a service, reach dependents and open scopes, restore on exit."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

import pytest

from rescope import Container, Registry, Scope
from rescope.exceptions import ContainerError, RegistrationError, ScopeViolationError
from tests.di.services import (
    Cache,
    Database,
    Handler,
    HealthCheckable,
    Log,
    MemoryCache,
    Repo,
    Request,
    Session,
    Settings,
)


class FakeCache:
    def get(self, key: str) -> str | None:
        return f"fake {key}"


class Reporter:
    def __init__(self, db: Database) -> None:
        self.db = db


class Connection:
    """The real REQUEST-scoped connection."""


class FakeConnection(Connection):
    """What the fake connector's ``__enter__`` hands out."""


class Query:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection


class FakeConnector:
    """A context-manager class: entering it opens a fake connection, exiting closes it."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> FakeConnection:
        self.log.append("enter")
        return FakeConnection()

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.log.append("exit")


def build_connections(log: list[str]) -> Container:
    registry = Registry()
    registry.value(log, provides=list[str])
    registry.add(Connection, scope=Scope.REQUEST)
    registry.add(Query, scope=Scope.REQUEST)
    return Container(registry)


def build() -> Container:
    registry = Registry()
    registry.add(Settings)
    registry.add(Database)
    registry.add(Reporter)
    registry.add(MemoryCache, provides=[Cache, HealthCheckable])
    registry.add(Session, scope=Scope.REQUEST)
    registry.context(Request, scope=Scope.REQUEST)
    registry.add(Repo, scope=Scope.REQUEST)
    registry.add(Handler, scope=Scope.REQUEST)
    return Container(registry)


def test_value_override_reaches_dependents_and_restores() -> None:
    """An overridden APP service is seen by its dependents; the originals return on exit."""
    container = build()
    real_db, real_reporter = container.get(Database), container.get(Reporter)
    fake_db = Database(Settings("fake://"))
    with container.override(Database, fake_db):
        assert container.get(Database) is fake_db
        reporter = container.get(Reporter)
        assert reporter.db is fake_db
        assert container.get(Reporter) is reporter
        assert container.get(Settings) is not None
    assert container.get(Database) is real_db
    assert container.get(Reporter) is real_reporter


def test_override_applies_to_scopes_already_open() -> None:
    """A scope opened before the override resolves new values with the replacement."""
    container = build()
    scope = container.scope(Scope.REQUEST, context={Request: Request()})
    with container.override(Cache, FakeCache()):
        handler = scope.get(Handler)
        assert handler.cache.get("k") == "fake k"
        assert isinstance(container.get(HealthCheckable), MemoryCache)
    with container.scope(Scope.REQUEST, context={Request: Request()}) as fresh:
        assert isinstance(fresh.get(Handler).cache, MemoryCache)
    scope.close()


def test_factory_override_with_its_own_scope_and_cleanup() -> None:
    """A provider-level override runs its factory and finalizes APP values on exit."""
    container = build()
    log = Log()

    def fake_db() -> Iterator[Database]:
        log.events.append("open fake")
        yield Database(Settings("fake://"))
        log.events.append("close fake")

    with container.override(Database, factory=fake_db):
        assert container.get(Database).settings.dsn == "fake://"
        assert container.get(Reporter).db.settings.dsn == "fake://"
        assert log.events == ["open fake"]
    assert log.events == ["open fake", "close fake"]
    assert container.get(Database).settings.dsn == "sqlite://"


def test_entered_factory_override_serves_what_enter_returns() -> None:
    """With enter=True the override serves `__enter__`'s value and exits it with its scope."""
    log: list[str] = []
    container = build_connections(log)
    with container.override(Connection, factory=FakeConnector, enter=True):
        with container.scope(Scope.REQUEST) as scope:
            connection = scope.get(Connection)
            assert type(connection) is FakeConnection
            assert scope.get(Connection) is connection
            assert scope.get(Query).connection is connection
            assert log == ["enter"]
        assert log == ["enter", "exit"]
    with container.scope(Scope.REQUEST) as scope:
        assert type(scope.get(Connection)) is Connection
        assert type(scope.get(Query).connection) is Connection
    assert log == ["enter", "exit"]


def test_entered_app_override_is_exited_when_the_override_ends() -> None:
    """An entered override given scope=APP lives as long as the override, then is exited."""
    log: list[str] = []
    container = build_connections(log)
    with container.override(Connection, factory=FakeConnector, scope=Scope.APP, enter=True):
        connection = container.get(Connection)
        assert type(connection) is FakeConnection
        with container.scope(Scope.REQUEST) as scope:
            assert scope.get(Query).connection is connection
        assert log == ["enter"]
    assert log == ["enter", "exit"]
    with container.scope(Scope.REQUEST) as scope:
        assert type(scope.get(Connection)) is Connection


def test_entered_override_of_what_cannot_be_entered_is_refused() -> None:
    """enter=True is validated as `Registry.add` does, when the override is made."""
    container = build_connections([])
    with pytest.raises(RegistrationError, match="is not a context manager class"):
        container.override(Connection, factory=Query, enter=True)

    def connections() -> Iterator[Connection]:
        yield Connection()

    with pytest.raises(RegistrationError, match="enter=True applies to classes and sync"):
        container.override(Connection, factory=connections, enter=True)


@pytest.mark.parametrize(
    "replacement",
    [(Connection, FakeConnection()), (Registry(),)],
    ids=["value", "registry"],
)
def test_enter_needs_a_factory(replacement: tuple[object, ...]) -> None:
    """enter=True with a ready value or a Registry is refused: there is nothing to enter."""
    container = build_connections([])
    with pytest.raises(ContainerError, match="enter=True without factory=") as info:
        container.override(*replacement, enter=True)
    assert "Try `container.override(Service, factory=Client, enter=True)`" in str(info.value)


def test_registry_override_and_nesting() -> None:
    """A registry overrides every key it provides; overrides nest and unwind in order."""
    container = build()
    patch = Registry()
    patch.value(FakeCache(), provides=Cache)
    fake_db = Database(Settings("fake://"))
    with container.override(patch):
        with container.override(Database, fake_db):
            assert container.get(Reporter).db is fake_db
            assert isinstance(container.get(Cache), FakeCache)
        assert container.get(Reporter).db is not fake_db
        assert isinstance(container.get(Cache), FakeCache)
    assert isinstance(container.get(Cache), MemoryCache)


def test_overrides_must_exit_in_order() -> None:
    """Exiting an outer override before the inner one raises a ContainerError."""
    container = build()
    outer = container.override(Database, Database(Settings()))
    inner = container.override(Settings, Settings("x"))
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(ContainerError, match="out of order"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)


def test_override_is_validated() -> None:
    """An override that breaks the graph is refused when it is entered."""
    container = build()

    def request_scoped_db(request: Request) -> Database:
        return Database(Settings(request.path))

    with (
        pytest.raises(ScopeViolationError),
        container.override(Database, factory=request_scoped_db, scope=Scope.APP),
    ):
        pass
    assert isinstance(container.get(Database), Database)


def test_override_needs_one_replacement() -> None:
    """Passing neither or both of a value and a factory is refused."""
    container = build()
    with pytest.raises(ContainerError, match="exactly one replacement"):
        container.override(Database)


@pytest.mark.anyio
async def test_async_override() -> None:
    """`async with container.override(...)` applies and restores like the sync form."""
    container = build()
    fake = FakeCache()
    async with container.override(Cache, fake):
        assert await container.aget(Cache) is fake
    assert await container.aget(Cache) is not fake


def test_generation_changes_with_every_override_and_close() -> None:
    """`generation` changes when an override starts, ends, and when the container closes."""
    first, second = build(), build()
    assert first.generation != second.generation
    seen = [first.generation]
    with first.override(Cache, FakeCache()):
        seen.append(first.generation)
    seen.append(first.generation)
    first.get(Reporter)
    assert first.generation == seen[-1]
    first.close()
    seen.append(first.generation)
    assert len(set(seen)) == len(seen)
    assert second.generation not in seen
