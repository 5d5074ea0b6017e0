"""The isolation app's services, and its two registries: scoped per user, or singletons.

``scoped_registry`` is the app as rescope builds it: the websocket manager, the event
router (the bridge to the Redis user event bus), the run registry and the workspace live
in the user's SESSION scope. ``singleton_registry`` is the same app with the classic bug:
one global instance of each, shared by every user (APP scope, as a module-level singleton
would be). The route code is identical for both.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

from fastapi import Request

from rescope import Registry, Scope
from rescope.events import ConnectionManager, EventRouter, RunRegistry, UserEventBus
from rescope.events import create_event_bus as _create_event_bus
from rescope.fastapi import CurrentUser

GLOBAL = "global"
NOTE_BYTES = 16384  # what each note keeps, so state that outlives its user shows in memory


class Settings:
    """Where the bus is and which namespace this test run uses."""

    def __init__(self, redis_url: str | None, namespace: str) -> None:
        self.redis_url = redis_url
        self.namespace = namespace


class Stats:
    """Counts made by finalizers: how many user workspaces were opened and closed."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0
        self.pid = os.getpid()


class Workspace:
    """A user's working state: notes and a counter, changed by that user's requests."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.instance_id = uuid.uuid4().hex
        self.counter = 0
        self.notes: list[dict[str, str]] = []
        self._lock = asyncio.Lock()

    async def increment(self) -> int:
        """Add one to the counter; the read and the write are apart by an await."""
        async with self._lock:
            value = self.counter
            await asyncio.sleep(0)
            self.counter = value + 1
            return self.counter


class RequestContext:
    """One HTTP request: who is calling (from its auth header) and an id of its own."""

    def __init__(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        self.caller = auth.removeprefix("Bearer ").strip()
        self.instance_id = uuid.uuid4().hex


async def event_bus(settings: Settings) -> AsyncIterator[UserEventBus]:
    if settings.redis_url is None:
        bus = _create_event_bus(namespace=settings.namespace)
        yield bus
        await bus.aclose()
        return
    import redis.asyncio as aioredis

    # A bounded pool, as in production: a burst of users queues for a connection.
    pool = aioredis.BlockingConnectionPool.from_url(settings.redis_url, max_connections=8)
    client = aioredis.Redis(connection_pool=pool)
    bus = _create_event_bus(client, namespace=settings.namespace)
    yield bus
    await bus.aclose()
    await client.aclose()
    await pool.aclose()


def user_workspace(user: CurrentUser, stats: Stats) -> Iterator[Workspace]:
    stats.opened += 1
    workspace = Workspace(str(user.key))
    yield workspace
    workspace.notes.clear()
    stats.closed += 1


def user_connections(user: CurrentUser) -> Iterator[ConnectionManager]:
    connections = ConnectionManager(str(user.key))
    yield connections
    connections.clear()


async def user_router(
    user: CurrentUser, bus: UserEventBus, connections: ConnectionManager
) -> AsyncIterator[EventRouter]:
    router = EventRouter(str(user.key), bus, connections)
    yield router
    await router.aclose()


async def user_runs(user: CurrentUser) -> AsyncIterator[RunRegistry]:
    runs = RunRegistry(str(user.key))
    yield runs
    await runs.aclose()


def global_workspace(stats: Stats) -> Iterator[Workspace]:
    stats.opened += 1
    workspace = Workspace(GLOBAL)
    yield workspace
    stats.closed += 1


def global_connections() -> ConnectionManager:
    return ConnectionManager(GLOBAL)


async def global_router(
    bus: UserEventBus, connections: ConnectionManager
) -> AsyncIterator[EventRouter]:
    router = EventRouter(GLOBAL, bus, connections)
    yield router
    await router.aclose()


async def global_runs() -> AsyncIterator[RunRegistry]:
    runs = RunRegistry(GLOBAL)
    yield runs
    await runs.aclose()


def _base(settings: Settings) -> Registry:
    registry = Registry()
    registry.value(settings)
    registry.add(Stats)
    registry.add(event_bus)
    registry.context(CurrentUser, scope=Scope.SESSION)
    registry.context(Request, scope=Scope.REQUEST)
    registry.add(RequestContext, scope=Scope.REQUEST)
    return registry


def scoped_registry(settings: Settings) -> Registry:
    """The app done right: per-user services in the user's SESSION scope."""
    registry = _base(settings)
    registry.add(user_workspace, scope=Scope.SESSION)
    registry.add(user_connections, scope=Scope.SESSION)
    registry.add(user_router, scope=Scope.SESSION)
    registry.add(user_runs, scope=Scope.SESSION)
    return registry


def singleton_registry(settings: Settings) -> Registry:
    """The negative control: one global instance of each per-user service."""
    registry = _base(settings)
    registry.add(global_workspace)
    registry.add(global_connections)
    registry.add(global_router)
    registry.add(global_runs)
    return registry
