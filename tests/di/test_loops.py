"""Async creation shared across threads that each run their own event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from rescope import Container, Registry, Scope


class Engine:
    pass


class BrokenError(Exception):
    pass


def registry_for(created: list[threading.Thread], *, fail: bool = False) -> Registry:
    registry = Registry()

    async def connect() -> Engine:
        created.append(threading.current_thread())
        await asyncio.sleep(0.05)
        if fail:
            raise BrokenError("connect failed")
        return Engine()

    registry.add(connect)
    return registry


def run_in_threads(container: Container, count: int) -> list[object]:
    """Resolve Engine from ``count`` threads at once, each with its own ``asyncio.run``."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(i: int) -> None:
        async def resolve() -> object:
            barrier.wait()
            try:
                return await container.aget(Engine)
            except BrokenError as error:
                return error

        results[i] = asyncio.run(resolve())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


@pytest.mark.parametrize("count", [2, 6])
def test_event_loops_in_threads_create_one_app_value(count: int) -> None:
    """Threads with separate event loops awaiting one async APP provider create it once."""
    created: list[threading.Thread] = []
    container = Container(registry_for(created))
    results = run_in_threads(container, count)
    assert len(created) == 1
    assert all(isinstance(r, Engine) and r is results[0] for r in results)
    assert container.get(Engine) is results[0]


def test_failure_reaches_the_waiters_in_other_loops() -> None:
    """When the creating thread's provider fails, waiters in other loops get the same error."""
    created: list[threading.Thread] = []
    container = Container(registry_for(created, fail=True))
    results = run_in_threads(container, 3)
    assert len(created) == 1
    assert all(isinstance(r, BrokenError) for r in results)


@pytest.mark.anyio
async def test_waiters_in_one_loop_after_another_loop_finished() -> None:
    """After another thread's loop created the value, this loop's tasks get it without waiting."""
    created: list[threading.Thread] = []
    container = Container(registry_for(created))
    first = run_in_threads(container, 1)[0]
    assert await container.aget(Engine) is first
    async with container.scope(Scope.REQUEST) as scope:
        assert await scope.aget(Engine) is first
    assert len(created) == 1
