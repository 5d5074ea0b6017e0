"""Concurrency: one instance per scope under threads and tasks; scopes independent per task."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from rescope import Container, Registry, Scope


class Slow:
    pass


class Counter:
    def __init__(self) -> None:
        self.created = 0
        self.lock = threading.Lock()

    def bump(self) -> None:
        with self.lock:
            self.created += 1


def sync_registry(counter: Counter, scope: Scope) -> Registry:
    registry = Registry()

    def make_slow() -> Slow:
        counter.bump()
        time.sleep(0.05)
        return Slow()

    registry.add(make_slow, scope=scope)
    return registry


@pytest.mark.parametrize("scope", [Scope.APP, Scope.SESSION])
def test_threads_create_one_instance(scope) -> None:
    """Sixteen threads resolving a sleeping APP or SESSION factory at once create one value."""
    counter = Counter()
    container = Container(sync_registry(counter, scope))
    session = container.scope(Scope.SESSION)
    resolver = container if scope is Scope.APP else session
    barrier = threading.Barrier(16)

    def resolve(_: int) -> Slow:
        barrier.wait()
        return resolver.get(Slow)

    with ThreadPoolExecutor(16) as pool:
        values = list(pool.map(resolve, range(16)))
    assert counter.created == 1
    assert all(value is values[0] for value in values)
    session.close()


@pytest.mark.anyio
@pytest.mark.parametrize("scope", [Scope.APP, Scope.SESSION, Scope.REQUEST])
async def test_tasks_create_one_instance(scope) -> None:
    """Fifty tasks awaiting a sleeping async factory at once create one value."""
    counter = Counter()
    registry = Registry()

    async def make_slow() -> Slow:
        counter.bump()
        await asyncio.sleep(0.05)
        return Slow()

    registry.add(make_slow, scope=scope)
    container = Container(registry)
    async with container.scope(scope if scope is not Scope.APP else Scope.SESSION) as entered:
        resolver = container if scope is Scope.APP else entered
        values = await asyncio.gather(*(resolver.aget(Slow) for _ in range(50)))
    assert counter.created == 1
    assert all(value is values[0] for value in values)


@pytest.mark.anyio
async def test_waiting_tasks_get_the_creators_error() -> None:
    """When the creating task fails, tasks waiting for the same value get its error."""
    registry = Registry()
    attempts = []

    async def make_slow() -> Slow:
        attempts.append(1)
        await asyncio.sleep(0.02)
        raise RuntimeError("no connection")

    registry.add(make_slow)
    container = Container(registry)
    results = await asyncio.gather(
        *(container.aget(Slow) for _ in range(5)), return_exceptions=True
    )
    assert len(attempts) == 1
    assert all(isinstance(r, RuntimeError) for r in results)
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await container.aget(Slow)
    assert len(attempts) == 2


@pytest.mark.anyio
async def test_scopes_are_independent_across_tasks() -> None:
    """Concurrent tasks each get their own REQUEST values and close only their own scope."""

    class PerRequest:
        pass

    registry = Registry()
    registry.add(PerRequest, scope=Scope.REQUEST)
    container = Container(registry)
    seen: list[PerRequest] = []

    async def handle() -> None:
        async with container.scope(Scope.REQUEST) as scope:
            value = await scope.aget(PerRequest)
            await anyio.sleep(0.01)
            assert await scope.aget(PerRequest) is value
            seen.append(value)

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(handle)
    assert len({id(v) for v in seen}) == 20
