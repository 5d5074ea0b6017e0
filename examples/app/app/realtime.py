"""Providers of the event parts: APP-wide notifier and bus, per-user router and runs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from app.settings import AppSettings
from rescope.events import (
    CompletionNotifier,
    ConnectionManager,
    EventRouter,
    RunRegistry,
    UserEventBus,
    create_event_bus,
    create_notifier,
)
from rescope.fastapi import CurrentUser


async def provide_notifier(settings: AppSettings) -> AsyncIterator[CompletionNotifier]:
    """The completion notifier: in-process, or shared by every instance through Redis."""
    notifier = create_notifier(
        settings.redis_url or None,
        namespace=f"{settings.app_namespace}:jobs",
        retention=settings.completion_retention,
    )
    try:
        yield notifier
    finally:
        await notifier.aclose()


async def provide_event_bus(settings: AppSettings) -> AsyncIterator[UserEventBus]:
    """The user event bus: in-process, or one Redis channel per user across instances."""
    bus = create_event_bus(settings.redis_url or None, namespace=f"{settings.app_namespace}:events")
    try:
        yield bus
    finally:
        await bus.aclose()


def provide_connections(user: CurrentUser) -> ConnectionManager:
    """The current user's open websockets (SESSION)."""
    return ConnectionManager(str(user.key))


async def provide_event_router(
    user: CurrentUser, bus: UserEventBus, connections: ConnectionManager
) -> AsyncIterator[EventRouter]:
    """The current user's event router (SESSION): closed when the user's scope is evicted."""
    router = EventRouter(str(user.key), bus, connections)
    try:
        yield router
    finally:
        await router.aclose()


async def provide_runs(user: CurrentUser) -> AsyncIterator[RunRegistry]:
    """The current user's running generation jobs (SESSION)."""
    runs = RunRegistry(str(user.key))
    try:
        yield runs
    finally:
        await runs.aclose()
