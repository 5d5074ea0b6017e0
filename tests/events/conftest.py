"""Backends for the events tests: each test runs in-process and over the shared Redis."""

from __future__ import annotations

import pytest

from rescope.events import create_event_bus, create_notifier


@pytest.fixture(name="backend", params=["memory", "redis"])
def fixture_backend(request: pytest.FixtureRequest) -> str:
    """The backend under test: the in-process default, or Redis."""
    return str(request.param)


@pytest.fixture(name="make_notifier")
async def fixture_make_notifier(backend, shared_redis):
    """Build notifiers on the backend under test (Redis namespaces under the test's prefix)."""
    made = []

    def make(name: str = "n", **kwargs):
        if backend == "memory":
            notifier = create_notifier(namespace=name, **kwargs)
        else:
            notifier = create_notifier(shared_redis.url, namespace=shared_redis.key(name), **kwargs)
        made.append(notifier)
        return notifier

    yield make
    for notifier in made:
        await notifier.aclose()


@pytest.fixture(name="make_bus")
async def fixture_make_bus(backend, shared_redis):
    """Build event buses (one per simulated app instance) on the backend under test."""
    made = []
    memory_bus = None

    def make(name: str = "bus"):
        nonlocal memory_bus
        if backend == "memory":
            # In-process there is one bus per process: every "instance" shares it.
            if memory_bus is None:
                memory_bus = create_event_bus(namespace=name)
                made.append(memory_bus)
            return memory_bus
        bus = create_event_bus(shared_redis.url, namespace=shared_redis.key(name))
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.aclose()
