"""The per-user isolation suite: seven checks, each raising when users are not isolated.

Each check drives a deployment of the isolation app (two uvicorn processes sharing Redis)
with the kit's simulator and detectors, and raises an ``IsolationError`` subclass when it
finds one user's data at another user, a per-user service shared, state that outlives its
users or inconsistent per-user state. The tests run them against the scoped app (they
pass) and against the singleton app (they must raise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rescope.testing import (
    ConcurrentUserSimulator,
    MemoryReport,
    SimulatedUser,
    SimulationResult,
    SingletonDetector,
    assert_no_cross_user_leakage,
)

SESSION_SERVICES = ("Workspace", "EventRouter", "ConnectionManager", "RunRegistry")


@dataclass(frozen=True)
class Deployment:
    """Two app instances behind an imaginary load balancer, sharing one Redis namespace."""

    mode: str
    urls: tuple[str, str]
    namespace: str


def own(kind: str, user: SimulatedUser) -> Callable[[Any], bool]:
    """Match events of ``kind`` that belong to ``user``."""
    return lambda e: isinstance(e, dict) and e.get("type") == kind and e.get("user_id") == user.id


class Barrier:
    """Lets every simulated user finish one phase before any starts the next."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.event = asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.parties:
            self.event.set()
        await asyncio.wait_for(self.event.wait(), 30)


async def simulate(
    url: str, workflow: Callable[[SimulatedUser], Awaitable[Any]], users: int | list[str]
) -> SimulationResult:
    return await ConcurrentUserSimulator(url).run(workflow, users=users)


def expect(condition: bool, message: str) -> None:
    """Fail the user's workflow (recorded per user, raised as a SimulationError)."""
    if not condition:
        raise AssertionError(message)


# 1 --------------------------------------------------------------------------------------


async def check_concurrent_execution(d: Deployment, users: int = 50) -> SimulationResult:
    """Users run agents at once across both instances; nobody sees another user's run."""
    ids = [f"exec-{i}" for i in range(users)]
    posted = Barrier(users)

    async def workflow(user: SimulatedUser) -> None:
        home, other = d.urls[user.index % 2], d.urls[(user.index + 1) % 2]
        async with user.websocket(f"{home}/ws"):
            await user.wait_for("connected")
            for n in range(2):
                r = await user.http.post(f"{other}/runs/{user.id}-run-{n}")
                expect(r.status_code == 200, f"start run: {r.status_code} {r.text}")
            await posted.wait()
            await user.http.get(f"{other}/runs/{user.id}-run-0")
            neighbour = (user.index + 1) % users
            await user.http.get(f"{d.urls[(neighbour + 1) % 2]}/runs/{ids[neighbour]}-run-0")
            await user.wait_for(own("agent_completed", user), count=2)
            await user.capture.quiet(0.3)

    result = await simulate(d.urls[0], workflow, ids)
    assert_no_cross_user_leakage(result)
    result.raise_errors()
    return result


# 2 --------------------------------------------------------------------------------------


async def check_event_isolation(d: Deployment, users: int = 10) -> SimulationResult:
    """Each user's laptop (instance A) and phone (instance B) get that user's events only."""
    connected = Barrier(users)

    async def workflow(user: SimulatedUser) -> None:
        a, b = d.urls
        async with user.websocket(f"{a}/ws") as laptop, user.websocket(f"{b}/ws") as phone:
            await laptop.wait_for("connected")
            await phone.wait_for("connected")
            await connected.wait()
            run = f"{user.id}-run"
            r = await user.http.post(f"{a}/runs/{run}")
            expect(r.status_code == 200, f"start run: {r.status_code} {r.text}")
            r = await user.http.post(f"{b}/runs/{run}/die")
            expect(r.status_code == 200, f"agent died: {r.status_code} {r.text}")
            for device in (laptop, phone):
                for kind in ("agent_started", "agent_completed", "agent_died"):
                    await device.wait_for(own(kind, user))
            await user.capture.quiet(0.3)
            for device in (laptop, phone):
                got = [e["type"] for e in device.messages if e.get("type") != "connected"]
                expect(
                    sorted(got) == ["agent_completed", "agent_died", "agent_started"],
                    f"{device.capture.path} got {got}",
                )

    result = await simulate(d.urls[0], workflow, [f"events-{i}" for i in range(users)])
    assert_no_cross_user_leakage(result)
    result.raise_errors()
    return result


# 3 --------------------------------------------------------------------------------------


async def check_factory_uniqueness(d: Deployment, users: int = 20) -> SingletonDetector:
    """Per-user services are distinct per user and the same across one user's requests."""
    per_user = SingletonDetector()
    per_request = SingletonDetector()

    async def workflow(user: SimulatedUser) -> None:
        for n in range(2):
            r = await user.http.get(f"{d.urls[0]}/whoami")
            expect(r.status_code == 200, f"whoami: {r.status_code} {r.text}")
            instances = r.json()["instances"]
            for service in SESSION_SERVICES:
                per_user.observe(user.id, service, instances[service])
            per_request.observe(f"{user.id}#{n}", "RequestContext", instances["RequestContext"])

    result = await simulate(d.urls[0], workflow, [f"factory-{i}" for i in range(users)])
    result.raise_errors()
    per_user.verify()
    per_request.verify()
    return per_user


# 4 --------------------------------------------------------------------------------------


async def check_memory(
    url: str, users: int = 100, warmup: int = 12, wave: int = 100
) -> MemoryReport:
    """After ``users`` users came and went, the app's memory grew within its bound."""

    async def workflow(user: SimulatedUser) -> None:
        async with user.websocket(f"{url}/ws"):
            await user.wait_for("connected")
            for n in range(3):
                r = await user.http.post("/notes", json={"text": f"note {n} of {user.id}"})
                expect(r.status_code == 200, f"note: {r.status_code} {r.text}")
            r = await user.http.post(f"/runs/{user.id}-run")
            expect(r.status_code == 200, f"run: {r.status_code} {r.text}")
            await user.wait_for(own("agent_completed", user))

    simulator = ConcurrentUserSimulator(url)
    async with _client(url) as http:
        (await http.post("/_debug/memory/trace")).raise_for_status()
        warm = await simulator.run(workflow, users=[f"warm-{i}" for i in range(warmup)])
        warm.raise_errors()
        await settled(http)
        (await http.post("/_debug/memory/start")).raise_for_status()
        for start in range(0, users, wave):
            ids = [f"mem-{i}" for i in range(start, min(start + wave, users))]
            (await simulator.run(workflow, users=ids)).raise_errors()
        await settled(http)
        stop = await http.post("/_debug/memory/stop", params={"users": users})
        stop.raise_for_status()
    report = MemoryReport.from_dict(stop.json())
    report.check()
    return report


async def settled(http: Any, timeout: float = 10.0) -> dict[str, int]:
    """Wait until every evicted user scope finished closing (its finalizers ran)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        stats = (await http.get("/_debug/stats")).json()
        done = stats["workspaces_closed"] + stats["live_user_scopes"] >= stats["workspaces_opened"]
        if done or loop.time() > deadline:
            return stats  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)


def _client(url: str) -> Any:
    import httpx

    return httpx.AsyncClient(base_url=url, timeout=30)


# 5 --------------------------------------------------------------------------------------


async def check_race_conditions(d: Deployment, users: int = 10, parallel: int = 20) -> None:
    """A user's parallel increments each see a distinct value, and none is lost."""

    async def workflow(user: SimulatedUser) -> None:
        url = d.urls[user.index % 2]  # a user's session state lives in one process
        responses = await asyncio.gather(
            *(user.http.post(f"{url}/counter") for _ in range(parallel))
        )
        values = sorted(r.json()["value"] for r in responses)
        expect(
            values == list(range(1, parallel + 1)),
            f"{parallel} parallel increments returned {values}",
        )
        final = (await user.http.get(f"{url}/counter")).json()["value"]
        expect(final == parallel, f"counter is {final} after {parallel} increments")

    result = await simulate(d.urls[0], workflow, [f"race-{i}" for i in range(users)])
    result.raise_errors()


# 6 --------------------------------------------------------------------------------------


async def load_workflow(user: SimulatedUser, urls: tuple[str, str]) -> None:
    """One user's session under load: connect, run an agent, take notes, read them back."""
    async with user.websocket(f"{urls[user.index % 2]}/ws"):
        await user.wait_for("connected")
        r = await user.http.post(f"{urls[(user.index + 1) % 2]}/runs/{user.id}-run")
        expect(r.status_code == 200, f"run: {r.status_code} {r.text}")
        url = urls[user.index % 2]
        for n in range(2):
            await user.http.post(f"{url}/notes", json={"text": f"note {n}"})
        r = await user.http.get(f"{url}/notes")
        expect(len(r.json()["notes"]) == 2, f"notes: {r.text}")
        await user.wait_for(own("agent_completed", user))


async def check_load(d: Deployment, users: int) -> SimulationResult:
    """``users`` users at once: no errors and no leaks (latency is measured, not asserted)."""
    result = await simulate(
        d.urls[0],
        lambda user: load_workflow(user, d.urls),
        [f"load{users}-{i}" for i in range(users)],
    )
    assert_no_cross_user_leakage(result)
    result.raise_errors()
    return result


# 7 --------------------------------------------------------------------------------------


async def check_realistic_workflow(d: Deployment, users: int = 30) -> SimulationResult:
    """A day in the app: devices on both instances, runs, a dead agent, notes, counters."""
    detector = SingletonDetector()
    ready = Barrier(users)

    async def workflow(user: SimulatedUser) -> None:
        a, b = d.urls
        home = d.urls[user.index % 2]
        async with user.websocket(f"{a}/ws") as laptop, user.websocket(f"{b}/ws") as phone:
            await laptop.wait_for("connected")
            await phone.wait_for("connected")
            await ready.wait()
            runs = [f"{user.id}-r{n}" for n in range(3)]
            started = await asyncio.gather(
                *(user.http.post(f"{d.urls[n % 2]}/runs/{run}") for n, run in enumerate(runs))
            )
            expect(all(r.status_code == 200 for r in started), "a run did not start")
            await user.http.post(f"{b}/runs/{runs[-1]}/die")
            for n in range(3):
                await user.http.post(f"{home}/notes", json={"text": f"{user.id} note {n}"})
            await asyncio.gather(*(user.http.post(f"{home}/counter") for _ in range(5)))
            notes = (await user.http.get(f"{home}/notes")).json()["notes"]
            expect(len(notes) == 3, f"notes: {notes}")
            counter = (await user.http.get(f"{home}/counter")).json()["value"]
            expect(counter == 5, f"counter is {counter} after 5 increments")
            whoami = (await user.http.get(f"{home}/whoami")).json()["instances"]
            for service in SESSION_SERVICES:
                detector.observe(user.id, service, whoami[service])
            for device in (laptop, phone):
                await device.wait_for(own("agent_completed", user), count=3)
                await device.wait_for(own("agent_died", user))
            await user.capture.quiet(0.3)

    result = await simulate(d.urls[0], workflow, [f"day-{i}" for i in range(users)])
    assert_no_cross_user_leakage(result)
    result.raise_errors()
    detector.verify()
    return result
