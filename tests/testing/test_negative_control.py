"""The isolation suite against the singleton app must fail: proof that it catches the bug."""

from __future__ import annotations

import pytest

from rescope.exceptions import (
    CrossUserLeakError,
    MemoryGrowthError,
    SharedInstanceError,
    SimulationError,
)
from tests.testing import isolation_suite as suite

pytestmark = pytest.mark.anyio


async def test_concurrent_execution_catches_leaks(singleton_app) -> None:
    """With one global registry and manager, users receive other users' runs and events."""
    with pytest.raises(CrossUserLeakError) as caught:
        await suite.check_concurrent_execution(singleton_app, users=10)
    leaks = caught.value.leaks
    assert {leak.where.split()[0] for leak in leaks} >= {"GET", "websocket"}
    assert all(leak.owner != leak.receiver for leak in leaks)
    assert "received data of user" in str(caught.value)


async def test_event_isolation_catches_broadcast(singleton_app) -> None:
    """A global websocket manager broadcasts agent-died notices to every user's devices."""
    with pytest.raises(CrossUserLeakError) as caught:
        await suite.check_event_isolation(singleton_app, users=4)
    assert any(leak.payload.get("type") == "agent_died" for leak in caught.value.leaks)


async def test_factory_uniqueness_catches_shared_instances(singleton_app) -> None:
    """Every per-user service of the singleton app is one object shared by all users."""
    with pytest.raises(SharedInstanceError) as caught:
        await suite.check_factory_uniqueness(singleton_app, users=4)
    shared = {f.service for f in caught.value.findings if f.kind == "shared"}
    assert shared == set(suite.SESSION_SERVICES)


@pytest.mark.parametrize("memory_app", ["singleton"], indirect=True)
async def test_memory_check_catches_state_that_outlives_users(memory_app) -> None:
    """The global workspace keeps every user's notes, so memory grows past the bound."""
    with pytest.raises(MemoryGrowthError) as caught:
        await suite.check_memory(memory_app, users=20, warmup=5, wave=20)
    assert caught.value.growth > caught.value.limit
    assert "isolation_app/main.py" in caught.value.top[0]


async def test_race_check_catches_shared_counter(singleton_app) -> None:
    """Parallel increments of different users interleave on one shared counter."""
    with pytest.raises(SimulationError) as caught:
        await suite.check_race_conditions(singleton_app, users=4, parallel=10)
    assert "parallel increments returned" in str(caught.value)


async def test_realistic_workflow_catches_leaks(singleton_app) -> None:
    """The combined workflow fails on the singleton app."""
    with pytest.raises((CrossUserLeakError, SimulationError, SharedInstanceError)):
        await suite.check_realistic_workflow(singleton_app, users=6)
