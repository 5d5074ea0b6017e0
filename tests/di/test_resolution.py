"""Resolving services: lifetimes per scope, injection rules, context values, errors."""

from __future__ import annotations

import pytest

from rescope import Container, Registry, Scope
from rescope.exceptions import (
    ClosedError,
    InvalidScopeError,
    MissingContextError,
    ScopeNotActiveError,
    UnexpectedContextError,
    UnknownServiceError,
)
from tests.di.services import (
    Database,
    Replica,
    ReplicaDb,
    Repo,
    Request,
    Session,
    Settings,
    UserContext,
    UsesReplica,
)


def build(**scopes: Scope) -> Container:
    registry = Registry()
    registry.add(Settings)
    registry.add(Database, scope=scopes.get("db", Scope.APP))
    registry.add(Session, scope=scopes.get("session", Scope.REQUEST))
    registry.context(Request, scope=Scope.REQUEST)
    registry.add(Repo, scope=scopes.get("repo", Scope.REQUEST))
    return Container(registry)


def test_app_services_are_created_once() -> None:
    """An APP service is one instance for the container, from get and from any scope."""
    container = build()
    db = container.get(Database)
    assert container.get(Database) is db
    with container.scope(Scope.REQUEST) as scope:
        assert scope.get(Database) is db
        assert scope.get(Session).db is db


def test_request_services_are_one_per_scope() -> None:
    """A REQUEST service is shared inside one scope and new in the next one."""
    container = build()
    with container.scope(Scope.REQUEST) as first:
        session = first.get(Session)
        assert first.get(Session) is session
    with container.scope(Scope.REQUEST) as second:
        assert second.get(Session) is not session


def test_transient_services_are_new_every_time() -> None:
    """A TRANSIENT service is created on every resolution, also as a dependency."""
    container = build(session=Scope.TRANSIENT, repo=Scope.TRANSIENT)
    with container.scope(Scope.REQUEST, context={Request: Request()}) as scope:
        assert scope.get(Session) is not scope.get(Session)
        assert scope.get(Repo).session is not scope.get(Repo).session


def test_transient_with_only_app_dependencies_resolves_from_the_container() -> None:
    """A transient whose dependencies are app-scoped is resolvable without any scope."""
    container = build(session=Scope.TRANSIENT)
    assert container.get(Session) is not container.get(Session)


def test_context_values_are_injected_by_type() -> None:
    """Values passed when entering a scope are injected into its providers."""
    container = build()
    request = Request("/users")
    with container.scope(Scope.REQUEST, context={Request: request}) as scope:
        assert scope.get(Repo).request is request


def test_missing_context_value_says_how_to_pass_it() -> None:
    """Resolving a service whose context value was not passed raises MissingContextError."""
    container = build()
    with container.scope(Scope.REQUEST) as scope, pytest.raises(MissingContextError) as info:
        scope.get(Repo)
    assert str(info.value) == (
        "`tests.di.services.Request` is a context value of scope REQUEST, but it was not"
        " passed when the scope was entered.\n"
        "Try `container.scope(Scope.REQUEST, context={Request: ...})`."
    )


def test_undeclared_context_value_is_refused() -> None:
    """Passing a context value that no registration declares raises at once."""
    container = build()
    with pytest.raises(UnexpectedContextError, match=r"registry\.context\(UserContext"):
        container.scope(Scope.REQUEST, context={UserContext: UserContext("u")})


def test_unknown_service_from_container_and_scope() -> None:
    """Resolving a type nothing provides raises UnknownServiceError, never KeyError."""
    container = build()
    with pytest.raises(UnknownServiceError) as info:
        container.get(UserContext)
    assert str(info.value) == (
        "nothing provides `tests.di.services.UserContext`, so the container cannot resolve it.\n"
        "Try registering it (`registry.add(UserContext)` or a factory that returns it) before"
        " the Container is built."
    )
    with container.scope(Scope.REQUEST) as scope, pytest.raises(UnknownServiceError):
        scope.get(UserContext)


def test_request_service_from_the_container_needs_the_scope() -> None:
    """A REQUEST service resolved from the container raises ScopeNotActiveError."""
    container = build()
    with pytest.raises(ScopeNotActiveError) as info:
        container.get(Session)
    assert str(info.value) == (
        "`tests.di.services.Session` needs scope REQUEST, which is not entered here"
        " (this is scope APP).\n"
        "Try `with container.scope(Scope.REQUEST) as scope: scope.get(Session)`."
    )


def test_entering_request_from_app_covers_session() -> None:
    """Entering REQUEST straight from APP makes SESSION services live in that scope."""
    container = build(db=Scope.SESSION)
    with container.scope(Scope.REQUEST) as one:
        db = one.get(Database)
        assert one.get(Session).db is db
    with container.scope(Scope.REQUEST) as two:
        assert two.get(Database) is not db


def test_nested_scopes_share_the_longer_lived_values() -> None:
    """A REQUEST scope inside a SESSION scope reuses the session's values."""
    container = build(db=Scope.SESSION)
    with container.scope(Scope.SESSION) as session:
        db = session.get(Database)
        with session.scope(Scope.REQUEST) as first, session.scope(Scope.REQUEST) as second:
            assert first.get(Session).db is db
            assert second.get(Session).db is db
            assert first.get(Session) is not second.get(Session)
        with pytest.raises(ScopeNotActiveError):
            session.get(Session)


def test_custom_scope_between_session_and_request() -> None:
    """A custom scope is entered in order and caches the services registered in it."""
    job = Scope.custom("job", after=Scope.SESSION)
    registry = Registry()
    registry.add(Settings, scope=job)
    registry.add(Database, scope=job)
    registry.add(Session, scope=Scope.REQUEST)
    container = Container(registry)
    with container.scope(job) as job_scope:
        db = job_scope.get(Database)
        with job_scope.scope(Scope.REQUEST) as request:
            assert request.get(Session).db is db
    with pytest.raises(ScopeNotActiveError, match="needs scope job"):
        container.get(Database)


@pytest.mark.parametrize("scope", [Scope.APP, Scope.TRANSIENT, Scope.SESSION])
def test_entering_a_scope_out_of_order_is_refused(scope) -> None:
    """A scope can only be entered from a longer-lived one; TRANSIENT is never entered."""
    container = build()
    with container.scope(Scope.SESSION) as session, pytest.raises(InvalidScopeError):
        session.scope(scope)


def test_closed_scope_and_container_raise_closed_error() -> None:
    """A scope or container used after closing raises ClosedError."""
    container = build()
    with container.scope(Scope.REQUEST) as scope:
        pass
    assert scope.closed
    with pytest.raises(ClosedError, match="the scope REQUEST is closed"):
        scope.get(Session)
    with pytest.raises(ClosedError):
        scope.scope(Scope.ACTION)
    container.close()
    assert container.closed
    for call in (
        lambda: container.get(Settings),
        lambda: container.scope(Scope.REQUEST),
        lambda: container.aget(Settings),
    ):
        with pytest.raises(ClosedError, match="the container is closed"):
            call()


def test_open_scope_fails_after_its_container_closed() -> None:
    """A scope without finalizers that is still open stops resolving once the container closes."""
    container = build()
    scope = container.scope(Scope.REQUEST)
    container.close()
    with pytest.raises(ClosedError):
        scope.get(Session)
    assert scope.closed


def test_annotated_keys_and_defaults() -> None:
    """`Annotated` keys select a named registration; defaults fill what is not registered."""
    registry = Registry()
    registry.add(Settings)
    registry.add(Database)
    registry.add(Replica, provides=ReplicaDb)
    registry.add(UsesReplica)
    container = Container(registry)
    uses = container.get(UsesReplica)
    assert type(uses.primary) is Database
    assert type(uses.replica) is Replica
    assert container.get(Settings).dsn == "sqlite://"


def test_annotated_falls_back_to_the_plain_type() -> None:
    """An `Annotated` parameter whose exact key is not registered gets the plain type."""
    registry = Registry()
    registry.add(Settings)
    registry.add(Database)
    registry.add(UsesReplica)
    container = Container(registry)
    uses = container.get(UsesReplica)
    assert uses.replica is uses.primary


def test_positional_only_keyword_only_and_skipped_defaults() -> None:
    """Positional-only and keyword-only parameters are injected; unregistered defaults stay."""
    registry = Registry()
    registry.add(Settings)

    def make(settings: Settings, /, label: str = "x", *, extra: Settings) -> Database:
        assert label == "x"
        assert extra is settings
        return Database(settings)

    registry.add(make)
    container = Container(registry)
    assert container.get(Database).settings is container.get(Settings)


def test_scoped_container_reports_its_scope() -> None:
    """A scope knows which scope it entered and shows it in its repr."""
    container = build()
    with container.scope(Scope.SESSION) as scope:
        assert scope.scope_kind is Scope.SESSION
        assert repr(scope) == "<ScopedContainer SESSION open>"
    assert repr(scope) == "<ScopedContainer SESSION closed>"
    assert "open" in repr(container)


def test_scoped_container_is_not_built_by_hand() -> None:
    """Calling ScopedContainer directly says to enter a scope instead."""
    from rescope import ScopedContainer
    from rescope.exceptions import ContainerError

    with pytest.raises(ContainerError, match="made by entering a scope"):
        ScopedContainer()
