"""RunRegistry: a user's runs, looked up only within that user's registry."""

from __future__ import annotations

import asyncio

import pytest

from rescope.events import RunRegistry
from rescope.exceptions import DuplicateRunError, EventsClosedError, UnknownRunError


def test_register_lookup_and_unregister() -> None:
    """A registered run is found with its thread and data until it is unregistered."""
    runs = RunRegistry("alice")
    record = runs.register("run-1", thread_id="thread-a", data={"agent": "writer"})
    assert (record.user_id, record.thread_id, dict(record.data)) == (
        "alice",
        "thread-a",
        {"agent": "writer"},
    )
    assert runs.get("run-1") is record
    assert runs.thread_of("run-1") == "thread-a"
    assert "run-1" in runs
    assert runs.unregister("run-1") is record
    assert runs.unregister("run-1") is None
    assert runs.find("run-1") is None


def test_a_users_registry_never_resolves_another_users_run() -> None:
    """Run ids registered for one user are unknown in another user's registry."""
    alice, bob = RunRegistry("alice"), RunRegistry("bob")
    alice.register("run-1", thread_id="alice-thread")
    bob.register("run-2", thread_id="bob-thread")
    assert bob.find("run-1") is None
    with pytest.raises(UnknownRunError) as caught:
        bob.thread_of("run-1")
    assert (caught.value.run_id, caught.value.user_id) == ("run-1", "bob")
    assert "run 'run-1' is not registered for user 'bob'" in str(caught.value)
    assert [r.run_id for r in alice] == ["run-1"]


def test_duplicate_run_ids_are_refused() -> None:
    """Registering a run id twice raises DuplicateRunError and keeps the first record."""
    runs = RunRegistry("alice")
    first = runs.register("run-1")
    with pytest.raises(DuplicateRunError, match="already registered for user 'alice'"):
        runs.register("run-1")
    assert runs.get("run-1") is first


def test_runs_in_thread_lists_only_that_thread() -> None:
    """runs_in_thread returns the user's runs of one thread, oldest first."""
    runs = RunRegistry("alice")
    for i, thread in enumerate(["a", "b", "a"]):
        runs.register(f"run-{i}", thread_id=thread)
    assert [r.run_id for r in runs.runs_in_thread("a")] == ["run-0", "run-2"]


@pytest.mark.anyio
async def test_parallel_requests_of_one_user_keep_the_registry_consistent() -> None:
    """Many concurrent register/unregister calls of one user leave exactly the expected runs."""
    runs = RunRegistry("alice")

    async def request(i: int) -> None:
        runs.register(f"run-{i}", thread_id=f"t-{i % 3}")
        await asyncio.sleep(0)
        if i % 2:
            runs.unregister(f"run-{i}")

    await asyncio.gather(*(request(i) for i in range(200)))
    assert sorted(r.run_id for r in runs) == sorted(f"run-{i}" for i in range(0, 200, 2))


@pytest.mark.anyio
async def test_aclose_forgets_runs_and_refuses_new_ones() -> None:
    """Closing the registry with its scope empties it and refuses further registrations."""
    runs = RunRegistry("alice")
    runs.register("run-1")
    await runs.aclose()
    assert len(runs) == 0
    with pytest.raises(EventsClosedError, match="cannot register run 'run-2'"):
        runs.register("run-2")
