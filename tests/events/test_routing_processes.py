"""Two app instances in two real processes share users' events over Redis."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rescope.events import EventRouter, create_event_bus
from tests.events.fakes import FakeWebSocket, eventually
from tests.events.test_notifier_processes import finish, peer

pytestmark = pytest.mark.anyio


async def test_two_instances_each_deliver_to_the_connections_they_hold(shared_redis) -> None:
    """Events sent from either instance reach the user's sockets on both, and nobody else's."""
    namespace = shared_redis.key("app")
    spec = {
        "connections": {"alice": 1, "bob": 1},
        "send": [["alice", {"id": "a3"}], ["bob", {"id": "b2"}], ["dave", {"id": "d1"}]],
        "expect": {"alice": 3, "bob": 2},
    }
    async with create_event_bus(shared_redis.url, namespace=namespace) as bus:
        here = {"alice": 2, "bob": 1, "carol": 1}
        routers, sockets = [], {}
        for user, count in here.items():
            router = EventRouter(user, bus)
            routers.append(router)
            sockets[user] = [FakeWebSocket(f"{user}-{i}") for i in range(count)]
            for websocket in sockets[user]:
                await router.connect(websocket)
        other = await peer("instance", shared_redis.url, namespace, json.dumps(spec))
        assert other.stdout is not None
        assert other.stdin is not None
        assert (await other.stdout.readline()).strip() == b"ready"
        await routers[0].send({"id": "a1"})
        await routers[0].send({"id": "a2"})
        await routers[0].send_to_user("bob", {"id": "b1"})
        other.stdin.write(b"go\n")
        await other.stdin.drain()
        report = json.loads(await finish(other))
        await eventually(
            lambda: (
                all(len(ws.texts) >= 3 for ws in sockets["alice"])
                and all(len(ws.texts) >= 2 for ws in sockets["bob"])
            )
        )
        for router in routers:
            await router.flush()
            await router.aclose()

    def ids(events: list[dict]) -> Counter:
        return Counter(event["id"] for event in events)

    alice, bob = Counter(["a1", "a2", "a3"]), Counter(["b1", "b2"])
    assert [ids(ws.events) for ws in sockets["alice"]] == [alice, alice]
    assert [ids(events) for events in report["alice"]] == [alice]
    assert [ids(ws.events) for ws in sockets["bob"]] == [bob]
    assert [ids(events) for events in report["bob"]] == [bob]
    assert sockets["carol"][0].texts == []
