"""The isolation suite against the scoped app: two uvicorn processes, Redis between them."""

from __future__ import annotations

import pytest

from tests.testing import isolation_suite as suite

pytestmark = pytest.mark.anyio


async def test_concurrent_execution_isolation(scoped_app) -> None:
    """50 users running agents at once across two instances see 0 payloads of other users."""
    result = await suite.check_concurrent_execution(scoped_app, users=50)
    assert len(result) == 50
    assert all(len(user.events("agent_completed")) == 2 for user in result)
    # The lookup of a neighbour's run finds nothing: run ids do not cross users.
    assert all(sum(1 for e in user.exchanges if e.status == 404) == 1 for user in result)


async def test_websocket_event_isolation(scoped_app) -> None:
    """Run and agent-died events reach all of a user's devices, on both instances, only theirs."""
    result = await suite.check_event_isolation(scoped_app, users=10)
    assert all(len(user.events("agent_died")) == 2 for user in result)


async def test_factory_uniqueness(scoped_app) -> None:
    """Per-user services are one per user and distinct between users; each request gets its own."""
    detector = await suite.check_factory_uniqueness(scoped_app, users=20)
    assert detector.findings() == []


async def test_factory_uniqueness_in_the_container() -> None:
    """From the container, each per-user service is distinct per user and stable within one."""
    from starlette.requests import Request

    from rescope import Container
    from rescope.fastapi import CurrentUser
    from rescope.testing import SingletonDetector
    from tests.testing.isolation_app import services

    detector = SingletonDetector()
    async with Container(services.scoped_registry(services.Settings(None, "probe"))) as container:
        await detector.probe(
            container,
            [services.Workspace, services.EventRouter, services.RunRegistry],
            users=["ann", "bob", "cid"],
            context=lambda user: {CurrentUser: CurrentUser(user)},
            request_context={Request: Request({"type": "http", "headers": []})},
        )
    detector.verify()


@pytest.mark.parametrize("memory_app", ["scoped"], indirect=True)
async def test_memory_is_bounded_after_100_users(memory_app) -> None:
    """After 100 users came and went memory growth is bounded: scopes evicted, finalizers run."""
    report = await suite.check_memory(memory_app, users=100)
    assert report.extra["live_user_scopes"] <= 10
    # each of the 112 users (12 warming up) had a workspace; all but the 10 kept were finalized
    assert report.extra["workspaces_opened"] == 112
    assert report.extra["workspaces_closed"] == 112 - report.extra["live_user_scopes"]
    print(
        f"growth {report.growth / 1024:.1f} KiB for {report.users} users",
        report.extra,
        *report.top,
        sep="\n",
    )


async def test_race_conditions(scoped_app) -> None:
    """Twenty parallel increments from one user each see a distinct value and none is lost."""
    await suite.check_race_conditions(scoped_app, users=10, parallel=20)


@pytest.mark.parametrize("users", [20])
async def test_load(scoped_app, users) -> None:
    """20 users complete their sessions without errors or leaks (latency: bench_isolation.py)."""
    result = await suite.check_load(scoped_app, users=users)
    assert result.requests == users * 4
    print(f"{users} users: p50 {result.p50 * 1000:.1f} ms, p95 {result.p95 * 1000:.1f} ms")


async def test_realistic_workflow(scoped_app) -> None:
    """20 users with two devices each run agents, lose one, take notes and count, all isolated."""
    result = await suite.check_realistic_workflow(scoped_app, users=20)
    assert all(len(user.events("agent_died")) == 2 for user in result)
