"""Finalizers: reverse creation order, all of them run, errors grouped, closing cascades."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from rescope import Container, Registry, Scope
from rescope.exceptions import AsyncFinalizerError, CleanupError, ClosedError, ContainerError
from tests.di.services import (
    Database,
    Log,
    Session,
    Settings,
    session_from_async_context_manager,
    session_from_async_generator,
    session_from_context_manager,
    session_from_generator,
)


class First:
    pass


class Second:
    pass


class Third:
    pass


class Conversation:
    pass


def tracked(log: Log, cls: type, *, fail: bool = False):
    def provide(*_: object) -> Iterator[object]:
        log.events.append(f"create {cls.__name__}")
        yield cls()
        log.events.append(f"finalize {cls.__name__}")
        if fail:
            raise RuntimeError(f"{cls.__name__} cleanup failed")

    return provide


def chain_registry(log: Log, scope: Scope, *, failing: tuple[type, ...] = ()) -> Registry:
    registry = Registry()
    registry.value(log)

    def first(log: Log) -> Iterator[First]:
        yield from tracked(log, First, fail=First in failing)()

    def second(first: First, log: Log) -> Iterator[Second]:
        yield from tracked(log, Second, fail=Second in failing)()

    def third(second: Second, log: Log) -> Iterator[Third]:
        yield from tracked(log, Third, fail=Third in failing)()

    registry.add(first, scope=scope, provides=First)
    registry.add(second, scope=scope, provides=Second)
    registry.add(third, scope=scope, provides=Third)
    return registry


def test_finalizers_run_in_reverse_creation_order() -> None:
    """Closing a scope finalizes the newest value first."""
    log = Log()
    container = Container(chain_registry(log, Scope.REQUEST))
    with container.scope(Scope.REQUEST) as scope:
        scope.get(Third)
    assert log.events == [
        "create First",
        "create Second",
        "create Third",
        "finalize Third",
        "finalize Second",
        "finalize First",
    ]


def test_failing_finalizers_do_not_stop_the_others() -> None:
    """Every finalizer runs; the failures are raised together as a CleanupError group."""
    log = Log()
    container = Container(chain_registry(log, Scope.REQUEST, failing=(Third, First)))
    scope = container.scope(Scope.REQUEST)
    scope.get(Third)
    with pytest.raises(CleanupError) as info:
        scope.close()
    assert [str(e) for e in info.value.exceptions] == [
        "Third cleanup failed",
        "First cleanup failed",
    ]
    assert log.events[-3:] == ["finalize Third", "finalize Second", "finalize First"]
    assert scope.closed


def test_single_failing_generator_is_grouped_too() -> None:
    """One failing finalizer is still reported as a CleanupError."""
    registry = Registry()

    def broken() -> Iterator[First]:
        yield First()
        raise RuntimeError("boom")

    registry.add(broken, scope=Scope.REQUEST)
    container = Container(registry)
    with pytest.raises(CleanupError) as info, container.scope(Scope.REQUEST) as scope:
        scope.get(First)
    assert str(info.value.exceptions[0]) == "boom"


def test_error_in_the_block_is_thrown_into_generators() -> None:
    """A generator provider sees the block's exception and can roll back; it propagates."""
    log = Log()
    registry = Registry()
    registry.value(log)
    registry.add(Settings)
    registry.add(Database)
    registry.add(session_from_generator, scope=Scope.REQUEST)
    container = Container(registry)

    def handle() -> None:
        with container.scope(Scope.REQUEST) as scope:
            scope.get(Session)
            raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        handle()
    assert log.events == ["open session", "rollback session"]


@pytest.mark.parametrize("provider", [session_from_generator, session_from_context_manager])
def test_sync_finalizer_kinds(provider) -> None:
    """Generators and context managers are finalized when their scope closes."""
    log = Log()
    registry = Registry()
    registry.value(log)
    registry.add(Settings)
    registry.add(Database)
    registry.add(provider, scope=Scope.REQUEST)
    container = Container(registry)
    with container.scope(Scope.REQUEST) as scope:
        scope.get(Session)
        assert len(log.events) == 1
    assert len(log.events) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    "provider",
    [
        session_from_generator,
        session_from_context_manager,
        session_from_async_generator,
        session_from_async_context_manager,
    ],
)
async def test_async_finalizer_kinds(provider) -> None:
    """Every provider kind is finalized by an async close."""
    log = Log()
    registry = Registry()
    registry.value(log)
    registry.add(Settings)
    registry.add(Database)
    registry.add(provider, scope=Scope.REQUEST)
    container = Container(registry)
    async with container.scope(Scope.REQUEST) as scope:
        await scope.aget(Session)
        assert len(log.events) == 1
    assert len(log.events) == 2


@pytest.mark.anyio
async def test_sync_close_refuses_async_finalizers() -> None:
    """A sync close of a scope holding async finalizers raises and leaves it open."""
    log = Log()
    registry = Registry()
    registry.value(log)
    registry.add(Settings)
    registry.add(Database)
    registry.add(session_from_async_generator, scope=Scope.REQUEST)
    container = Container(registry)
    scope = container.scope(Scope.REQUEST)
    await scope.aget(Session)
    with pytest.raises(AsyncFinalizerError, match=r"await scope\.aclose"):
        scope.close()
    assert not scope.closed
    await scope.aclose()
    assert log.events == ["open async session", "close async session"]


def test_closing_the_container_closes_open_scopes_first() -> None:
    """Closing APP finalizes values of still-open scopes, then APP values, newest first."""
    log = Log()
    registry = chain_registry(log, Scope.APP)

    def session_value(log: Log) -> Iterator[Conversation]:
        yield from tracked(log, Conversation)()

    registry.add(session_value, scope=Scope.REQUEST)
    container = Container(registry)
    container.get(Third)
    session_scope = container.scope(Scope.SESSION)
    request = session_scope.scope(Scope.REQUEST)
    request.get(Conversation)
    container.close()
    assert log.events[-4:] == [
        "finalize Conversation",
        "finalize Third",
        "finalize Second",
        "finalize First",
    ]
    assert request.closed
    assert session_scope.closed
    with pytest.raises(ClosedError):
        request.get(Conversation)


def test_closing_a_parent_scope_closes_its_children() -> None:
    """Closing a SESSION scope closes the REQUEST scopes entered from it."""
    log = Log()
    registry = chain_registry(log, Scope.REQUEST)
    container = Container(registry)
    with container.scope(Scope.SESSION) as session:
        child = session.scope(Scope.REQUEST)
        child.get(First)
    assert child.closed
    assert log.events == ["create First", "finalize First"]


def test_close_twice_does_nothing() -> None:
    """Closing a scope or a container a second time is a no-op."""
    log = Log()
    container = Container(chain_registry(log, Scope.REQUEST))
    scope = container.scope(Scope.REQUEST)
    scope.get(First)
    scope.close()
    scope.close()
    container.close()
    container.close()
    assert log.events == ["create First", "finalize First"]


def test_generator_yielding_twice_is_a_cleanup_error() -> None:
    """A generator provider that yields a second time is reported when its scope closes."""
    registry = Registry()

    def twice() -> Iterator[First]:
        yield First()
        yield First()

    registry.add(twice, scope=Scope.REQUEST)
    container = Container(registry)
    with pytest.raises(CleanupError) as info, container.scope(Scope.REQUEST) as scope:
        scope.get(First)
    (error,) = info.value.exceptions
    assert isinstance(error, ContainerError)
    assert "yielded more than once" in str(error)


def test_generator_that_never_yields() -> None:
    """A generator provider that returns without yielding raises a clear error."""
    registry = Registry()

    def empty() -> Iterator[First]:
        yield from ()

    registry.add(empty, scope=Scope.REQUEST)
    container = Container(registry)
    with container.scope(Scope.REQUEST) as scope, pytest.raises(ContainerError) as info:
        scope.get(First)
    assert "returned without yielding" in str(info.value)
    assert info.value.__suppress_context__  # no "during handling of StopIteration" chain


@pytest.mark.anyio
async def test_container_async_close_runs_async_app_finalizers() -> None:
    """`async with Container(...)` awaits async finalizers of APP values."""
    log = Log()
    registry = Registry()
    registry.value(log)

    async def first(log: Log) -> AsyncIterator[First]:
        log.events.append("open")
        yield First()
        log.events.append("close")

    registry.add(first)
    async with Container(registry) as container:
        await container.aget(First)
        with pytest.raises(AsyncFinalizerError):
            container.close()
    assert log.events == ["open", "close"]


def test_transient_finalizers_run_with_the_scope_that_resolved_them() -> None:
    """A transient generator is finalized when the scope it was resolved in closes."""
    log = Log()
    registry = Registry()
    registry.value(log)

    def first(log: Log) -> Iterator[First]:
        yield from tracked(log, First)()

    registry.add(first, scope=Scope.TRANSIENT, provides=First)
    container = Container(registry)
    with container.scope(Scope.REQUEST) as scope:
        scope.get(First)
        scope.get(First)
    assert log.events == ["create First", "create First", "finalize First", "finalize First"]


def test_closing_a_parent_closes_children_without_finalizers() -> None:
    """A child scope with nothing to finalize is still closed with its parent."""
    container = Container(Registry())
    session = container.scope(Scope.SESSION)
    request = session.scope(Scope.REQUEST)
    session.close()
    assert request.closed
    with pytest.raises(ClosedError):
        request.scope(Scope.ACTION)
