"""Completion notifier and user event routing: cost of one completion / one event."""

from __future__ import annotations

import asyncio
import sys
import uuid

from benchmarks._harness import Case, _loop, matrix_table, measure

PEERS: list[str] = []
URL = "redis://127.0.0.1:6379/0"


class Sock:
    def __init__(self):
        self.n = 0

    async def send_text(self, data):
        self.n += 1


def main(quick: bool = False) -> None:
    from rescope import Container, Scope
    from rescope.events import (
        EventRouter,
        UserContext,
        create_event_bus,
        create_notifier,
        events_registry,
    )

    loop = _loop()
    ns = f"bench-{uuid.uuid4().hex[:6]}"
    mem = create_notifier(retention=0.5)
    red = create_notifier(URL, namespace=ns, retention=5)
    mbus, rbus = create_event_bus(), create_event_bus(URL, namespace=ns)
    mrouter, rrouter = EventRouter("u", mbus), EventRouter("u", rbus)
    msock, rsock = Sock(), Sock()
    loop.run_until_complete(mrouter.connect(msock))
    loop.run_until_complete(rrouter.connect(rsock))
    counter = iter(range(10**9))

    async def wake(n):
        key = f"k{next(counter)}"
        t = asyncio.ensure_future(n.wait(key, timeout=10))
        # let the waiter register (and, on Redis, subscribe) before the webhook arrives
        while n.stats().waiters == 0:
            await asyncio.sleep(0)
        if n is red:
            await asyncio.sleep(0.002)
        await n.notify(key, 1)
        return await t

    async def wake_subscribed(n):
        # a waiter subscribes (confirmed), then the webhook publishes: the full round trip
        key = f"k{next(counter)}"
        t = asyncio.ensure_future(n.wait(key, timeout=10))
        channel = n.channel(key)
        while n._hub._ready.get(channel) is None or not n._hub._ready[channel].done():
            await asyncio.sleep(0)
        await n.notify(key, 1)
        return await t

    async def late(n):
        key = f"k{next(counter)}"
        await n.notify(key, 1)
        return await n.wait(key, timeout=10)

    async def event(bus, router, sock):
        before = sock.n
        await bus.send_to_user("u", {"type": "progress", "pct": 50})
        while sock.n == before:
            await asyncio.sleep(0)

    mem_container = Container(events_registry())
    red_container = Container(events_registry(URL, namespace=f"{ns}-c"))

    async def user_scope(container):
        # a user arrives (SESSION scope), connects a socket, leaves (scope closed)
        scope = container.scope(Scope.SESSION, context={UserContext: UserContext("u2")})
        await (await scope.aget(EventRouter)).connect(Sock())
        await scope.aclose()

    async def event_baseline():
        e = asyncio.Event()
        loop.call_soon(e.set)
        await e.wait()

    g = {
        "wake": wake,
        "late": late,
        "event": event,
        "mem": mem,
        "red": red,
        "mbus": mbus,
        "rbus": rbus,
        "mrouter": mrouter,
        "rrouter": rrouter,
        "msock": msock,
        "rsock": rsock,
        "event_baseline": event_baseline,
        "wake_subscribed": wake_subscribed,
        "user_scope": user_scope,
        "mem_container": mem_container,
        "red_container": red_container,
    }
    results = measure(
        [
            Case(
                "asyncio.Event set->wait (floor)", "await event_baseline()", dict(g), is_async=True
            ),
            Case("in-process: notify, then late wait", "await late(mem)", dict(g), is_async=True),
            Case("in-process: wake a waiting task", "await wake(mem)", dict(g), is_async=True),
            Case("redis: notify, then late wait", "await late(red)", dict(g), is_async=True),
            Case(
                "redis: wait (subscribed), notify, wake",
                "await wake_subscribed(red)",
                dict(g),
                is_async=True,
            ),
            Case(
                "in-process bus: send_to_user -> socket",
                "await event(mbus, mrouter, msock)",
                dict(g),
                is_async=True,
            ),
            Case(
                "redis bus: send_to_user -> socket",
                "await event(rbus, rrouter, rsock)",
                dict(g),
                is_async=True,
            ),
            Case(
                "in-process: user scope open, connect, close",
                "await user_scope(mem_container)",
                dict(g),
                is_async=True,
            ),
            Case(
                "redis: user scope open, connect, close",
                "await user_scope(red_container)",
                dict(g),
                is_async=True,
            ),
        ],
        quick=quick,
        rounds=7,
        sample_ms=50,
    )
    print("### Events\n")
    print(matrix_table({"rescope.events": results}, reference="rescope.events"))
    for c in (mrouter, rrouter, mbus, rbus, mem, red, mem_container, red_container):
        loop.run_until_complete(c.aclose())


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
