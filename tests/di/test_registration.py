"""Registering providers: every style, composition, and the errors for bad input."""

from __future__ import annotations

import pytest

from rescope import Container, Registry, Scope
from rescope.di import Kind
from rescope.exceptions import DuplicateRegistrationError, RegistrationError
from tests.di.services import (
    Cache,
    Database,
    HealthCheckable,
    Log,
    MemoryCache,
    Session,
    Settings,
    amake_database,
    make_database,
    session_from_async_context_manager,
    session_from_async_generator,
    session_from_context_manager,
    session_from_generator,
)


@pytest.mark.parametrize(
    ("provider", "kind"),
    [
        (session_from_generator, Kind.GENERATOR),
        (session_from_async_generator, Kind.ASYNC_GENERATOR),
        (session_from_context_manager, Kind.CONTEXT_MANAGER),
        (session_from_async_context_manager, Kind.ASYNC_CONTEXT_MANAGER),
    ],
)
def test_function_kinds_provide_what_they_yield(provider, kind) -> None:
    """Generators and context managers provide the type they yield, with their kind."""
    registry = Registry()
    registry.add(provider, scope=Scope.REQUEST)
    (registered,) = list(registry)
    assert registered.provides == (Session,)
    assert registered.kind is kind


@pytest.mark.parametrize(
    ("provider", "kind"), [(make_database, Kind.FACTORY), (amake_database, Kind.ASYNC_FACTORY)]
)
def test_factories_provide_their_return_annotation(provider, kind) -> None:
    """A sync or async factory provides its return annotation."""
    registry = Registry()
    registry.add(provider)
    (registered,) = list(registry)
    assert (registered.provides, registered.kind) == ((Database,), kind)


def test_decorator_registers_and_returns_the_function_unchanged() -> None:
    """`@registry.provide` works bare and with options and leaves the function callable."""
    registry = Registry()

    @registry.provide
    def settings() -> Settings:
        return Settings("postgres://")

    @registry.provide(scope=Scope.REQUEST)
    def session(db: Database) -> Session:
        return Session(db)

    registry.add(Database)
    assert settings().dsn == "postgres://"
    container = Container(registry)
    with container.scope(Scope.REQUEST) as scope:
        assert scope.get(Session).db.settings.dsn == "postgres://"


def test_interface_binding_shares_one_instance_across_interfaces() -> None:
    """`provides=[A, B]` makes one instance reachable through every listed interface."""
    registry = Registry()
    registry.add(MemoryCache, provides=[Cache, HealthCheckable])
    container = Container(registry)
    assert container.get(Cache) is container.get(HealthCheckable)
    assert isinstance(container.get(Cache), MemoryCache)


def test_value_and_context_registrations() -> None:
    """A ready value is served as is; a context value comes from entering its scope."""
    settings = Settings("x")
    registry = Registry()
    registry.value(settings)
    registry.context(Log, scope=Scope.REQUEST)
    container = Container(registry)
    assert container.get(Settings) is settings
    log = Log()
    with container.scope(Scope.REQUEST, context={Log: log}) as scope:
        assert scope.get(Log) is log


def test_registries_compose_as_modules() -> None:
    """Registries include each other, and a container can be built from several."""
    infra = Registry()
    infra.add(Settings)
    infra.add(Database)
    app = Registry(infra)
    app.add(Session, scope=Scope.REQUEST)
    extra = Registry()
    extra.add(MemoryCache, provides=Cache)
    container = Container(app, extra)
    assert isinstance(container.get(Cache), MemoryCache)
    with container.scope(Scope.REQUEST) as scope:
        assert scope.get(Session).db is container.get(Database)


def test_including_the_same_registry_twice_is_harmless() -> None:
    """A registry reached through two modules is not a duplicate of itself."""
    shared = Registry()
    shared.add(Settings)
    container = Container(Registry(shared), Registry(shared))
    assert isinstance(container.get(Settings), Settings)


def test_duplicate_registration_names_both_providers() -> None:
    """Registering a key twice without override=True raises, naming both providers."""
    registry = Registry()
    registry.add(make_database)
    with pytest.raises(DuplicateRegistrationError) as info:
        registry.add(Database)
    assert str(info.value) == (
        "`tests.di.services.Database` is registered twice: by"
        " `tests.di.services.make_database` and by `tests.di.services.Database`; the"
        " container would have to guess which one to use.\n"
        "Try removing one of them, or pass override=True to the registration that should win."
    )
    assert info.value.service is Database


def test_duplicate_across_registries_is_found_when_building() -> None:
    """Two registries providing one key clash when the container is built."""
    first, second = Registry(), Registry()
    first.add(Database)
    second.add(make_database)
    with pytest.raises(DuplicateRegistrationError):
        Container(first, second)


def test_override_true_replaces_an_earlier_registration() -> None:
    """A later registration with override=True wins, in one registry or across two."""
    base = Registry()
    base.add(Settings)
    base.add(Database)
    patch = Registry()
    patch.add(make_database, override=True)
    container = Container(base, patch)
    assert isinstance(container.get(Database), Database)
    same = Registry()
    same.add(Database)
    same.add(make_database, override=True)
    assert len(same) == 2


@pytest.mark.parametrize(
    ("register", "text"),
    [
        (lambda r: r.add(42), "42 is not callable, so it cannot make a service."),
        (
            lambda r: r.add(lambda: Settings()),  # noqa: PLW0108 - a lambda on purpose
            "has no return annotation, and a lambda is registered without provides=",
        ),
        (lambda r: r.add(lambda: None, provides=None), "has no return annotation"),
        (lambda r: r.add(Settings, provides=[]), "was registered with an empty provides="),
        (lambda r: r.add(Settings, provides=[None]), "is registered as a provider of None"),
        (lambda r: r.add(Settings, provides=[[1]]), "it is not hashable"),
        (lambda r: r.add(Settings, scope="app"), "scope='app' for `tests.di.services.Settings`"),
        (lambda r: r.context(Log, scope=Scope.TRANSIENT), "needs an entered scope"),
        (lambda r: r.value(None), "is registered as a provider of None"),
    ],
)
def test_bad_registrations_raise_registration_errors(register, text) -> None:
    """Bad input raises a RegistrationError whose message says what is wrong and the fix."""
    with pytest.raises(RegistrationError) as info:
        register(Registry())
    assert text in str(info.value)
    assert "\nTry " in str(info.value)


def test_a_factory_returning_none_is_rejected() -> None:
    """A factory annotated `-> None` provides nothing and is refused."""

    def setup() -> None:
        return None

    with pytest.raises(RegistrationError, match="provider of None"):
        Registry().add(setup)


def test_custom_scopes_sit_in_the_order() -> None:
    """Custom scopes are inserted after their parent and before the next built-in scope."""
    job = Scope.custom("job", after=Scope.SESSION)
    step = Scope.custom("step", after=Scope.SESSION)
    assert Scope.SESSION < job < step < Scope.REQUEST
    assert repr(job) == "<Scope 'job'>"
    assert repr(Scope.REQUEST) == "Scope.REQUEST"
    with pytest.raises(RegistrationError):
        Scope.custom("x", after=Scope.TRANSIENT)
    with pytest.raises(RegistrationError):
        Scope.custom("", after=Scope.APP)
