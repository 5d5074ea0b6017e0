"""User event routing on both backends: each user's events reach all and only their sockets."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from rescope.events import EventRouter, RedisUserEventBus
from rescope.exceptions import ConfigurationError, EventEncodingError, EventsClosedError
from tests.events.fakes import FakeWebSocket, event_tasks, eventually, wait_numsub

pytestmark = pytest.mark.anyio


async def test_send_to_user_reaches_all_and_only_that_users_connections(make_bus) -> None:
    """An event for bob reaches both of bob's sockets and none of alice's or carol's."""
    bus = make_bus()
    routers = {user: EventRouter(user, bus) for user in ["alice", "bob", "carol"]}
    sockets = {user: [FakeWebSocket(f"{user}-{i}") for i in range(2)] for user in routers}
    for user, router in routers.items():
        for websocket in sockets[user]:
            await router.connect(websocket)
    await routers["alice"].send_to_user("bob", {"type": "agent_died", "run": "r-1"})
    await routers["bob"].send({"type": "progress"})
    await eventually(lambda: all(len(ws.texts) == 2 for ws in sockets["bob"]))
    for router in routers.values():
        await router.flush()
    assert [ws.events for ws in sockets["bob"]] == [
        [{"type": "agent_died", "run": "r-1"}, {"type": "progress"}]
    ] * 2
    assert all(ws.texts == [] for user in ["alice", "carol"] for ws in sockets[user])
    for router in routers.values():
        await router.aclose()


async def test_many_users_and_concurrent_senders_never_mix_events(make_bus) -> None:
    """40 users on two instances, 8 concurrent senders: each socket gets exactly its user's."""
    instances = [make_bus("app"), make_bus("app")]
    users = [f"user-{i}" for i in range(40)]
    routers, sockets = [], {user: [] for user in users}
    for user in users:
        for bus in instances:  # each user has one socket on each instance
            router = EventRouter(user, bus)
            websocket = FakeWebSocket(f"{user}@{len(routers)}")
            await router.connect(websocket)
            routers.append(router)
            sockets[user].append(websocket)
    rng = random.Random(11)
    plan = [[(rng.choice(users), f"e-{s}-{n}") for n in range(25)] for s in range(8)]

    async def sender(index: int, sends: list[tuple[str, str]]) -> None:
        bus = instances[index % 2]
        for user, event_id in sends:
            await bus.send_to_user(user, {"to": user, "id": event_id})
            await asyncio.sleep(0)

    await asyncio.gather(*(sender(i, sends) for i, sends in enumerate(plan)))
    expected = {user: Counter() for user in users}
    for sends in plan:
        for user, event_id in sends:
            expected[user][event_id] += 1
    total = {user: sum(counts.values()) for user, counts in expected.items()}
    await eventually(lambda: all(len(ws.texts) >= total[u] for u in users for ws in sockets[u]))
    for router in routers:
        await router.flush()
    for user in users:
        for websocket in sockets[user]:
            received = websocket.events
            assert {event["to"] for event in received} <= {user}
            assert Counter(event["id"] for event in received) == expected[user]
    for router in routers:
        await router.aclose()


async def test_a_dropped_connection_is_removed_and_the_others_still_deliver(make_bus) -> None:
    """A user's dead socket is removed and the user's other socket still gets events."""
    bus = make_bus()
    router = EventRouter("alice", bus)
    alive, dead = FakeWebSocket("alive"), FakeWebSocket("dead")
    await router.connect(dead)
    await router.connect(alive)
    dead.fail()
    await router.send({"n": 1})
    await eventually(lambda: len(alive.texts) == 1)
    await router.flush()
    assert dead not in router.connections
    assert router.connections.dropped == 1
    await router.aclose()


async def test_router_aclose_releases_subscription_task_and_sockets(
    make_bus, backend, shared_redis
) -> None:
    """Closing a user's router leaves no subscription, Redis channel, task or socket behind."""
    bus = make_bus()
    routers = [EventRouter(f"user-{i}", bus) for i in range(5)]
    for router in routers:
        await router.connect(FakeWebSocket())
        await router.connect(FakeWebSocket())
    assert bus.stats().subscriptions == 5
    assert len(event_tasks()) >= 5
    if backend == "redis":
        assert isinstance(bus, RedisUserEventBus)
        channels = [bus.channel(f"user-{i}") for i in range(5)]
        await wait_numsub(shared_redis.url, dict.fromkeys(channels, 1))
    for router in routers:
        await router.aclose()
        assert len(router.connections) == 0
        assert router.tasks() == []
    stats = bus.stats()
    assert (stats.users, stats.subscriptions, stats.channels) == (0, 0, 0)
    if backend == "redis":
        await wait_numsub(shared_redis.url, dict.fromkeys(channels, 0))
    await bus.aclose()
    assert event_tasks() == []
    with pytest.raises(EventsClosedError):
        await bus.send_to_user("user-0", {"n": 1})


async def test_bus_aclose_ends_every_task_and_redis_subscription(
    make_bus, backend, shared_redis
) -> None:
    """Closing the app's bus with routers still open ends every task and Redis subscription."""
    bus = make_bus()
    router = EventRouter("alice", bus)
    await router.connect(FakeWebSocket())
    await bus.aclose()
    if backend == "redis":
        await wait_numsub(shared_redis.url, {bus.channel("alice"): 0})
    await router.aclose()
    assert event_tasks() == []


async def test_closed_router_refuses_use(make_bus) -> None:
    """A router used after its user's scope closed raises EventsClosedError naming the user."""
    router = EventRouter("alice", make_bus())
    await router.aclose()
    with pytest.raises(EventsClosedError, match="EventRouter for user 'alice' is closed"):
        await router.connect(FakeWebSocket())
    with pytest.raises(EventsClosedError):
        await router.send({"n": 1})


async def test_a_slow_user_loses_new_events_instead_of_growing_memory(make_bus) -> None:
    """A stuck socket loses events beyond max_queue (counted); other users are unaffected."""
    bus = make_bus()
    slow_router = EventRouter("slow", bus, max_queue=2)
    stuck = FakeWebSocket("stuck")
    stuck.gate = asyncio.Event()
    await slow_router.connect(stuck)
    fast_router = EventRouter("fast", bus)
    fast = FakeWebSocket("fast")
    await fast_router.connect(fast)
    for n in range(10):
        await bus.send_to_user("slow", {"n": n})
        await bus.send_to_user("fast", {"n": n})
    await eventually(lambda: len(fast.texts) == 10)
    await eventually(lambda: slow_router.dropped + slow_router.pending() >= 9)
    stuck.gate.set()
    await slow_router.flush()
    assert 2 <= len(stuck.texts) <= 3
    assert slow_router.dropped == 10 - len(stuck.texts)
    await slow_router.aclose()
    await fast_router.aclose()


async def test_events_must_be_json(make_bus) -> None:
    """An event that is not a JSON value is refused before it leaves the process."""
    bus = make_bus()
    with pytest.raises(EventEncodingError, match="an event for user 'bob'"):
        await bus.send_to_user("bob", {"at": {1, 2}})


def test_max_queue_must_be_positive() -> None:
    """max_queue below 1 is a ConfigurationError naming the setting."""
    from rescope.events import InMemoryUserEventBus

    with pytest.raises(ConfigurationError) as caught:
        EventRouter("alice", InMemoryUserEventBus(), max_queue=0)
    assert caught.value.setting == "max_queue"
