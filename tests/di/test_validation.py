"""Build-time validation: every graph problem is found when the Container is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rescope import Container, Registry, Scope
from rescope.exceptions import (
    AsyncProviderError,
    CycleError,
    GraphValidationError,
    MissingDependencyError,
    ScopeViolationError,
    UnresolvableParameterError,
)
from tests.di.services import (
    Database,
    Mailer,
    Repo,
    Request,
    Session,
    Settings,
    amake_database,
)

if TYPE_CHECKING:
    from tests.di.services import Log


class A:
    def __init__(self, b: B) -> None:
        self.b = b


class B:
    def __init__(self, c: C) -> None:
        self.c = c


class C:
    def __init__(self, a: A) -> None:
        self.a = a


class NeedsLog:
    def __init__(self, log: Log) -> None:
        self.log = log


def test_missing_dependency() -> None:
    """A provider needing an unregistered type fails the build, naming parameter and fix."""
    registry = Registry()
    registry.add(Database)
    with pytest.raises(MissingDependencyError) as info:
        Container(registry)
    assert str(info.value) == (
        "`tests.di.services.Database` needs `tests.di.services.Settings` (parameter"
        " `settings`), but nothing provides `tests.di.services.Settings`.\n"
        "Try registering it (`registry.add(Settings)` or a factory that returns it), or"
        " declare it with `registry.context(...)` if it is passed when a scope is entered."
    )
    assert (info.value.service, info.value.dependency) == (Database, Settings)


def test_cycle_is_drawn_as_a_path() -> None:
    """A dependency cycle fails the build and is drawn `A -> B -> C -> A`."""
    registry = Registry()
    for cls in (A, B, C):
        registry.add(cls)
    with pytest.raises(CycleError) as info:
        Container(registry)
    name = "tests.di.test_validation"
    assert str(info.value) == (
        f"dependency cycle: `{name}.A` -> `{name}.B` -> `{name}.C` -> `{name}.A`; none of"
        " these services can be created first.\n"
        "Try breaking the cycle: move the shared part into a service of its own, or let one"
        " side depend on an interface it is given later."
    )
    assert info.value.path == (A, B, C, A)


def test_captive_dependency() -> None:
    """An APP service depending on a REQUEST service fails the build (scope violation)."""
    registry = Registry()
    registry.add(Settings)
    registry.add(Database)
    registry.add(Session, scope=Scope.REQUEST)
    registry.add(Mailer)
    with pytest.raises(ScopeViolationError) as info:
        Container(registry)
    assert str(info.value) == (
        "`tests.di.services.Mailer` (scope APP) depends on `tests.di.services.Session`"
        " (scope REQUEST): an app-scoped service would keep one request's `Session` forever.\n"
        "Try registering `Mailer` with scope=REQUEST, or annotate the parameter"
        " `Lazy[Session]` (from rescope.di): a callable that resolves it from the current"
        " scope each time it is called."
    )


def test_captive_dependency_through_a_transient() -> None:
    """A transient in between does not hide a captive dependency; the culprit is named."""
    registry = Registry()
    registry.add(Settings)
    registry.add(Database)
    registry.context(Request, scope=Scope.REQUEST)
    registry.add(Session, scope=Scope.TRANSIENT)
    registry.add(Repo, scope=Scope.TRANSIENT)
    registry.add(Mailer, scope=Scope.SESSION, provides=Mailer)

    class Holder:
        def __init__(self, repo: Repo) -> None:
            self.repo = repo

    registry.add(Holder, scope=Scope.SESSION)
    with pytest.raises(ScopeViolationError) as info:
        Container(registry)
    assert info.value.dependency is Request
    assert info.value.dependency_scope is Scope.REQUEST


def test_untyped_parameter() -> None:
    """A parameter without annotation or default fails the build."""

    def make(settings) -> Database:
        return Database(settings)

    registry = Registry()
    registry.add(make)
    with pytest.raises(UnresolvableParameterError) as info:
        Container(registry)
    assert str(info.value) == (
        "parameter `settings` of `tests.di.test_validation."
        "test_untyped_parameter.<locals>.make` cannot be injected: it has no type annotation"
        " and no default, so there is no type to look up.\n"
        "Try annotating it (`settings: SomeService`) or giving it a default."
    )


def test_type_checking_only_annotation() -> None:
    """An annotation naming a TYPE_CHECKING-only import fails the build with the reason."""
    registry = Registry()
    registry.add(NeedsLog)
    with pytest.raises(UnresolvableParameterError, match="not defined at runtime") as info:
        Container(registry)
    assert "TYPE_CHECKING" in str(info.value)


def test_every_validation_error_is_a_graph_validation_error() -> None:
    """All build-time problems can be caught as GraphValidationError."""
    registry = Registry()
    registry.add(Database)
    with pytest.raises(GraphValidationError):
        Container(registry)


def test_async_provider_from_sync_get_names_the_path() -> None:
    """A sync get of a service that needs an async provider raises, naming the provider."""
    registry = Registry()
    registry.add(Settings)
    registry.add(amake_database)
    registry.add(Session, scope=Scope.REQUEST)
    container = Container(registry)
    with container.scope(Scope.REQUEST) as scope, pytest.raises(AsyncProviderError) as info:
        scope.get(Session)
    assert str(info.value) == (
        "`tests.di.services.Session` cannot be resolved with a sync get: it needs"
        " `tests.di.services.Database` (`tests.di.services.Session` ->"
        " `tests.di.services.Database`), whose provider `tests.di.services.amake_database`"
        " is async.\n"
        "Try `await scope.aget(Session)`, or create `Database` once at startup with"
        " `await container.aget(...)` when it is app-scoped."
    )
    with pytest.raises(AsyncProviderError) as direct:
        container.get(Database)
    assert direct.value.path == (Database,)


@pytest.mark.anyio
async def test_sync_get_works_once_the_async_value_exists() -> None:
    """After `await container.aget`, the app-scoped value is served by sync get too."""
    registry = Registry()
    registry.add(Settings)
    registry.add(amake_database)
    registry.add(Session, scope=Scope.REQUEST)
    container = Container(registry)
    db = await container.aget(Database)
    assert container.get(Database) is db
    async with container.scope(Scope.REQUEST) as scope:
        assert (await scope.aget(Session)).db is db
