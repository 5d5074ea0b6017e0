"""events_registry: the events services in a container, per user, released with their scopes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from rescope import Container, Registry, Scope
from rescope.events import (
    CompletionNotifier,
    ConnectionManager,
    EventRouter,
    RedisNotifier,
    RedisUserEventBus,
    RunRegistry,
    UserContext,
    UserEventBus,
    events_registry,
)
from rescope.exceptions import (
    CompletionTimeoutError,
    ConfigurationError,
    EventsClosedError,
    MissingDependencyError,
)
from rescope.fastapi import CurrentUser
from tests.events.fakes import FakeWebSocket, event_tasks, eventually, wait_numsub

pytestmark = pytest.mark.anyio


def as_user(user_id: str) -> dict[object, object]:
    """The context that enters `user_id`'s SESSION scope."""
    return {UserContext: UserContext(user_id)}


@pytest.fixture(name="registry")
def fixture_registry(backend, shared_redis) -> Registry:
    """events_registry on the backend under test (Redis under the test's key prefix)."""
    if backend == "memory":
        return events_registry()
    return events_registry(shared_redis.url, namespace=shared_redis.key("ev"))


async def test_per_user_services_are_shared_within_a_user_and_distinct_across_users(
    registry,
) -> None:
    """Within one user scope (and its requests) each service is one object; users differ."""
    kinds = (EventRouter, ConnectionManager, RunRegistry)
    async with (
        Container(registry) as container,
        container.scope(Scope.SESSION, context=as_user("alice")) as alice,
        container.scope(Scope.SESSION, context=as_user("bob")) as bob,
    ):
        mine = {kind: await alice.aget(kind) for kind in kinds}
        async with alice.scope(Scope.REQUEST) as request:
            assert {kind: await request.aget(kind) for kind in kinds} == mine
        theirs = {kind: await bob.aget(kind) for kind in kinds}
        for kind in kinds:
            assert mine[kind] is not theirs[kind]
            assert (mine[kind].user_id, theirs[kind].user_id) == ("alice", "bob")
        assert mine[EventRouter].connections is mine[ConnectionManager]
        assert mine[EventRouter].bus is theirs[EventRouter].bus
        assert mine[EventRouter].bus is await container.aget(UserEventBus)


async def test_events_reach_the_user_whose_scope_holds_the_socket(registry) -> None:
    """An event sent from bob's scope to alice reaches alice's socket and not bob's."""
    async with (
        Container(registry) as container,
        container.scope(Scope.SESSION, context=as_user("alice")) as alice,
        container.scope(Scope.SESSION, context=as_user("bob")) as bob,
    ):
        alices, bobs = FakeWebSocket("alice"), FakeWebSocket("bob")
        await (await alice.aget(EventRouter)).connect(alices)
        await (await bob.aget(EventRouter)).connect(bobs)
        await (await bob.aget(EventRouter)).send_to_user("alice", {"type": "shared"})
        await eventually(lambda: len(alices.texts) == 1)
        await (await bob.aget(EventRouter)).flush()
        assert (alices.events, bobs.texts) == ([{"type": "shared"}], [])


async def test_closing_a_user_scope_releases_its_channel_task_sockets_and_runs(
    shared_redis,
) -> None:
    """Closing alice's scope unsubscribes her channel and ends her task; bob keeps his."""
    registry = events_registry(shared_redis.url, namespace=shared_redis.key("ev"))
    async with Container(registry) as container:
        bus = await container.aget(UserEventBus)
        assert isinstance(bus, RedisUserEventBus)
        channels = {bus.channel("alice"): 1, bus.channel("bob"): 1}
        alice = container.scope(Scope.SESSION, context=as_user("alice"))
        async with container.scope(Scope.SESSION, context=as_user("bob")) as bob:
            router, runs = await alice.aget(EventRouter), await alice.aget(RunRegistry)
            await router.connect(FakeWebSocket("alice"))
            runs.register("run-1")
            bobs = FakeWebSocket("bob")
            await (await bob.aget(EventRouter)).connect(bobs)
            await wait_numsub(shared_redis.url, channels)
            assert router.tasks() != []
            await alice.aclose()
            await wait_numsub(shared_redis.url, {**channels, bus.channel("alice"): 0})
            assert (router.closed, router.tasks(), len(router.connections), len(runs)) == (
                True,
                [],
                0,
                0,
            )
            with pytest.raises(EventsClosedError):
                runs.register("run-2")
            assert bus.stats().users == 1
            await bus.send_to_user("bob", {"still": "here"})
            await eventually(lambda: len(bobs.texts) == 1)


async def test_closing_the_container_closes_the_notifier_and_the_bus(shared_redis) -> None:
    """Closing the container fails current waiters, ends every task and Redis subscription."""
    registry = events_registry(shared_redis.url, namespace=shared_redis.key("ev"))
    container = Container(registry)
    notifier = await container.aget(CompletionNotifier)
    bus = await container.aget(UserEventBus)
    assert isinstance(notifier, RedisNotifier)
    assert isinstance(bus, RedisUserEventBus)
    waiting = asyncio.create_task(notifier.wait("job", timeout=30))
    user = container.scope(Scope.SESSION, context=as_user("alice"))
    await (await user.aget(EventRouter)).connect(FakeWebSocket())
    channels = {notifier.channel("job"): 1, bus.channel("alice"): 1}
    await wait_numsub(shared_redis.url, channels)
    await container.aclose()
    assert (notifier.closed, bus.closed) == (True, True)
    with pytest.raises(EventsClosedError):
        await waiting
    await wait_numsub(shared_redis.url, dict.fromkeys(channels, 0))
    assert event_tasks() == []


async def test_two_containers_have_notifiers_that_do_not_see_each_other() -> None:
    """Each container has its own in-process notifier: a notify in one wakes nobody in the other."""
    async with Container(events_registry()) as first, Container(events_registry()) as second:
        one, other = await first.aget(CompletionNotifier), await second.aget(CompletionNotifier)
        assert one is not other
        await one.notify("job", "for the first")
        with pytest.raises(CompletionTimeoutError):
            await other.wait("job", timeout=0.05)
        assert await one.wait("job", timeout=1) == "for the first"


@dataclass(frozen=True)
class Account:
    """An application's own user type, with a `user_id`."""

    user_id: int


@dataclass(frozen=True)
class Claims:
    """A user type whose id has another name."""

    sub: str


@pytest.mark.parametrize(
    ("user", "value", "options"),
    [
        (CurrentUser, CurrentUser("alice"), {}),
        (Account, Account(7), {}),
        (Claims, Claims("auth0|9"), {"user_id": lambda claims: claims.sub}),
    ],
    ids=["fastapi-current-user", "user-id-attribute", "user-id-function"],
)
async def test_the_user_comes_from_your_own_context_type(user, value, options) -> None:
    """With user=, the user id is read from the context value the application declares."""
    app = Registry()
    app.context(user, scope=Scope.SESSION)
    async with (
        Container(events_registry(user=user, **options), app) as container,
        container.scope(Scope.SESSION, context={user: value}) as scope,
    ):
        router = await scope.aget(EventRouter)
        runs = await scope.aget(RunRegistry)
    expected = {CurrentUser: "alice", Account: "7", Claims: "auth0|9"}[user]
    assert (router.user_id, runs.user_id) == (expected, expected)
    assert router.closed


def test_your_own_user_type_must_be_declared_by_you() -> None:
    """A user type nobody declares as a context value fails when the container is built."""
    with pytest.raises(MissingDependencyError, match="Account"):
        Container(events_registry(user=Account))


async def test_runs_in_request_scope_are_per_request() -> None:
    """With runs_scope=REQUEST every request of a user gets a fresh RunRegistry."""
    async with (
        Container(events_registry(runs_scope=Scope.REQUEST)) as container,
        container.scope(Scope.SESSION, context=as_user("alice")) as alice,
    ):
        async with alice.scope(Scope.REQUEST) as first:
            runs = await first.aget(RunRegistry)
            runs.register("run-1")
        async with alice.scope(Scope.REQUEST) as second:
            assert len(await second.aget(RunRegistry)) == 0
        assert len(runs) == 0


@pytest.mark.parametrize(
    ("options", "setting"),
    [
        ({"user": Claims}, "user_id"),
        ({"runs_scope": Scope.APP}, "runs_scope"),
        ({"max_queue": 0}, "max_queue"),
        ({"retention": -1.0}, "retention"),
    ],
)
def test_bad_settings_are_refused_when_the_registry_is_made(options, setting) -> None:
    """A user type without an id, APP-scoped runs or out-of-range numbers raise at once."""
    with pytest.raises(ConfigurationError) as caught:
        events_registry(**options)
    assert caught.value.setting == setting
