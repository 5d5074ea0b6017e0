"""A second app process for the cross-process tests: `python -m tests.events.peer COMMAND ...`.

Commands:
  notify URL NAMESPACE KEY JSON          notify KEY with the JSON result, then exit
  notify-error URL NAMESPACE KEY TEXT    notify_error KEY with TEXT, then exit
  wait URL NAMESPACE KEY                 wait for KEY, print {"result": ...} or {"error": ...}
  instance URL NAMESPACE SPEC            an app instance holding websockets (see `instance`)
"""

from __future__ import annotations

import asyncio
import json
import sys

from rescope.events import EventRouter, create_event_bus, create_notifier
from rescope.exceptions import RescopeError
from tests.events.fakes import FakeWebSocket


async def notify(url: str, namespace: str, key: str, payload: str) -> None:
    async with create_notifier(url, namespace=namespace) as notifier:
        await notifier.notify(key, json.loads(payload))


async def notify_error(url: str, namespace: str, key: str, text: str) -> None:
    async with create_notifier(url, namespace=namespace) as notifier:
        await notifier.notify_error(key, text)


async def wait(url: str, namespace: str, key: str) -> None:
    async with create_notifier(url, namespace=namespace) as notifier:
        try:
            print(json.dumps({"result": await notifier.wait(key, timeout=30)}), flush=True)
        except RescopeError as exc:
            print(json.dumps({"error": type(exc).__name__, "detail": str(exc)}), flush=True)


async def instance(url: str, namespace: str, spec_text: str) -> None:
    """Hold websockets, then send events, then report what the websockets received.

    SPEC is JSON: {"connections": {user: count}, "send": [[user, event], ...],
    "expect": {user: frames per connection}}. Prints "ready" once subscribed, sends when
    a line "go" arrives on stdin, and prints {user: [[events of each connection]]} once
    every connection has its expected number of frames (or after 20 s).
    """
    spec = json.loads(spec_text)
    async with create_event_bus(url, namespace=namespace) as bus:
        routers, sockets = [], {}
        for user, count in spec["connections"].items():
            router = EventRouter(user, bus)
            routers.append(router)
            sockets[user] = [FakeWebSocket(f"{user}-{i}") for i in range(count)]
            for websocket in sockets[user]:
                await router.connect(websocket)
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        line = await loop.run_in_executor(None, sys.stdin.readline)
        assert line.strip() == "go", line
        sender = EventRouter("sender", bus)
        await asyncio.gather(*(sender.send_to_user(user, event) for user, event in spec["send"]))
        deadline = loop.time() + 20
        while loop.time() < deadline and any(
            len(ws.texts) < spec["expect"].get(user, 0)
            for user, group in sockets.items()
            for ws in group
        ):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # anything that should not arrive has had time to
        print(json.dumps({u: [ws.events for ws in group] for u, group in sockets.items()}))
        for router in [*routers, sender]:
            await router.aclose()


def main(argv: list[str]) -> None:
    command, *args = argv
    handlers = {"notify": notify, "notify-error": notify_error, "wait": wait, "instance": instance}
    asyncio.run(handlers[command](*args))


if __name__ == "__main__":
    main(sys.argv[1:])
