"""The kit's parts in-process: leakage, singleton and memory detectors, capture, simulator."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from rescope import Container, Registry, Scope
from rescope.events import EventRouter, create_event_bus
from rescope.exceptions import (
    ConfigurationError,
    CrossUserLeakError,
    MemoryGrowthError,
    SharedInstanceError,
    SimulationError,
)
from rescope.fastapi import CurrentUser, Inject, setup
from rescope.testing import (
    ConcurrentUserSimulator,
    EventCapture,
    Exchange,
    MemoryGrowthDetector,
    MemoryReport,
    Overrides,
    SingletonDetector,
    UserResult,
    WebSocketMessage,
    assert_no_cross_user_leakage,
    find_leaks,
    serve,
)


def user(uid: str, *bodies, messages=()) -> UserResult:
    result = UserResult(uid)
    result.exchanges = [
        Exchange("GET", f"/x/{n}", 200, body, 0.01) for n, body in enumerate(bodies)
    ]
    result.messages = [WebSocketMessage("/ws", n, data, 0.0) for n, data in enumerate(messages)]
    return result


def test_leakage_passes_when_every_marker_names_the_receiver() -> None:
    """Payloads marked with the receiving user, or with no marker, are not leaks."""
    results = [
        user("ann", {"user_id": "ann"}, {"items": [{"owner": "ann"}]}, "plain text"),
        user("bob", {"user_id": "bob"}, messages=[{"type": "x", "user_id": "bob"}]),
    ]
    assert_no_cross_user_leakage(results)


def test_leakage_names_receiver_owner_place_and_payload() -> None:
    """A marker of another user anywhere in a payload fails with who, whose, where and what."""
    results = [
        user("ann", {"runs": [{"run_id": "r1", "user_id": "bob"}]}),
        user("bob", messages=[{"type": "agent_died", "user_id": "ann"}]),
    ]
    with pytest.raises(CrossUserLeakError) as caught:
        assert_no_cross_user_leakage(results)
    text = str(caught.value)
    assert "2 payload(s) reached a user they do not belong to (2 users checked)" in text
    assert "user 'ann' received data of user 'bob' (GET /x/0)" in text
    assert "user 'bob' received data of user 'ann' (websocket /ws message #0)" in text
    assert isinstance(caught.value, AssertionError)


def test_leakage_with_custom_owner_function() -> None:
    """`owner_of` decides what a payload's owners are, for apps that mark data differently."""
    results = [user("ann", {"tenant": "acme"})]
    assert find_leaks(results) == []
    leaks = find_leaks(results, owner_of=lambda body: [body["tenant"]])
    assert [(leak.receiver, leak.owner) for leak in leaks] == [("ann", "acme")]


class Cart:
    def __init__(self, user: CurrentUser) -> None:
        self.user = user.key


class Catalog:
    pass


def registry() -> Registry:
    reg = Registry()
    reg.context(CurrentUser, scope=Scope.SESSION)
    reg.add(Cart, scope=Scope.SESSION)
    reg.add(Catalog)  # APP: a singleton
    return reg


@pytest.mark.anyio
async def test_singleton_detector_probes_the_container() -> None:
    """A SESSION service is one per user; an APP service probed as per-user is reported shared."""
    detector = SingletonDetector()
    with Container(registry()) as container:
        await detector.probe(
            container, [Cart, Catalog], context=lambda u: {CurrentUser: CurrentUser(u)}
        )
    findings = detector.findings()
    assert [(f.service.rsplit(".", 1)[-1], f.kind, f.users) for f in findings] == [
        ("Catalog", "shared", ("user-a", "user-b"))
    ]
    with pytest.raises(SharedInstanceError, match="Catalog` is one object"):
        detector.verify()


def test_singleton_detector_reports_unstable_instances() -> None:
    """One user served two different objects for a per-user service is reported too."""
    detector = SingletonDetector()
    detector.observe("ann", "Cart", "1")
    detector.observe("ann", "Cart", "2")
    detector.observe("bob", "Cart", "3")
    assert detector.findings(within_user=False) == []
    with pytest.raises(SharedInstanceError, match="is 2 different objects for user 'ann'"):
        detector.verify()


def test_memory_detector_fails_on_retained_state_and_passes_when_freed() -> None:
    """Kept allocations over the bound fail with their site; freed ones leave growth bounded."""
    kept = []
    detector = MemoryGrowthDetector(limit=256 * 1024)
    with detector:
        kept.extend(bytearray(4096) for _ in range(200))
        detector.users = 200
    with pytest.raises(MemoryGrowthError) as caught:
        detector.assert_bounded()
    assert caught.value.users == 200
    assert "test_kit.py" in caught.value.top[0]
    with detector:
        kept.clear()
        scratch = [bytearray(4096) for _ in range(200)]
        del scratch
    detector.assert_bounded()
    assert detector.report.growth < 64 * 1024


def test_memory_report_travels_as_a_dict() -> None:
    """A report measured in the app's process round-trips through JSON-ready dicts."""
    report = MemoryReport(100, 1024, 4096, ("a.py:1: +1.0 KiB (+1 blocks)",), {"evicted": 90})
    assert MemoryReport.from_dict(report.to_dict()) == report
    assert report.per_user == pytest.approx(10.24)


def test_memory_detector_needs_start() -> None:
    """Stopping before starting is a usage error that says what to do."""
    with pytest.raises(ConfigurationError, match="before start"):
        MemoryGrowthDetector().stop()


@pytest.mark.anyio
async def test_event_capture_stands_in_for_websockets() -> None:
    """A capture connected to a user's router records that user's events and nobody else's."""
    async with create_event_bus() as bus:
        ann, bob = EventRouter("ann", bus), EventRouter("bob", bus)
        ann_tab, bob_tab = EventCapture("ann-tab"), EventCapture("bob-tab")
        await ann.connect(ann_tab)
        await bob.connect(bob_tab)
        await bob.send_to_user("ann", {"type": "shared", "user_id": "ann"})
        await ann.send({"type": "agent_died", "user_id": "ann"})
        assert await ann_tab.wait_for("agent_died", timeout=2) == [
            {"type": "agent_died", "user_id": "ann"}
        ]
        await ann_tab.quiet(0.05)
        assert [e["type"] for e in ann_tab.events()] == ["shared", "agent_died"]
        assert bob_tab.events() == []
        with pytest.raises(TimeoutError, match="0 of 1 expected messages"):
            await bob_tab.wait_for(timeout=0.05)
        await ann.aclose()
        await bob.aclose()


def test_overrides_helper_undoes_newest_first() -> None:
    """Replacements stack; closing the helper restores the originals."""
    with Container(registry()) as container, Overrides(container) as override:
        first, second = Catalog(), Catalog()
        override(Catalog, first)
        override(Catalog, second)
        assert container.get(Catalog) is second
        override.close()
        assert container.get(Catalog) not in (first, second)


def chat_app() -> FastAPI:
    app = FastAPI()

    @app.post("/say")
    async def say(body: dict[str, str], cart: Inject[Cart]) -> dict[str, str]:
        return {"user_id": cart.user, "said": body["text"]}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, cart: Inject[Cart]) -> None:
        await websocket.accept()
        try:
            while True:
                text = await websocket.receive_text()
                await websocket.send_json({"type": "echo", "user_id": cart.user, "text": text})
        except WebSocketDisconnect:
            pass

    def user_key(connection):
        return connection.headers.get("authorization", "").removeprefix("Bearer ") or None

    setup(app, registry(), user_key=user_key)
    return app


@pytest.mark.anyio
async def test_simulator_runs_users_over_http_and_websockets() -> None:
    """Users run at once against a served app; each one's exchanges and messages are recorded."""
    async with serve(chat_app()) as server:

        async def workflow(user):
            async with user.websocket("/ws") as ws:
                await ws.send_text(f"hi from {user.id}")
                await ws.wait_for("echo")
            response = await user.http.post("/say", json={"text": "ok"})
            return response.json()["user_id"]

        result = await ConcurrentUserSimulator(server.url).run(workflow, users=8)
    result.raise_errors()
    assert_no_cross_user_leakage(result)
    assert len(result) == 8
    assert result.requests == 8
    assert [u.value for u in result] == [f"user-{i}" for i in range(8)]
    assert result["user-3"].events("echo") == [
        {"type": "echo", "user_id": "user-3", "text": "hi from user-3"}
    ]
    assert result.p95 >= result.p50 > 0


@pytest.mark.anyio
async def test_simulator_records_failures_per_user() -> None:
    """A workflow that raises fails only its user, and raise_errors names it."""
    app = chat_app()
    async with app.router.lifespan_context(app):

        async def workflow(user):
            if user.index == 1:
                async with user.websocket("/ws"):
                    pass
            await user.http.post("/say", json={"text": "x"})

        result = await ConcurrentUserSimulator(app=app).run(workflow, users=["ann", "bob"])
    assert list(result.failures) == ["bob"]
    assert "websockets need a running server" in result.failures["bob"][0]
    with pytest.raises(SimulationError, match="1 of 2 simulated users failed"):
        result.raise_errors()


def test_simulator_needs_one_target() -> None:
    """Giving neither a URL nor an app is a configuration error with both forms shown."""
    with pytest.raises(ConfigurationError, match="exactly one target"):
        ConcurrentUserSimulator()
