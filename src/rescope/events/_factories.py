"""Factories that pick the backend: in-process without Redis, Redis with it."""

from __future__ import annotations

from typing import Any

from rescope.events._bus import InMemoryUserEventBus, UserEventBus
from rescope.events._completion import CompletionNotifier
from rescope.events._memory import InMemoryNotifier
from rescope.events._redis_bus import RedisUserEventBus
from rescope.events._redis_notifier import RedisNotifier

__all__ = ["create_event_bus", "create_notifier"]


def create_notifier(
    redis: Any = None,
    *,
    namespace: str = "rescope",
    retention: float = 60.0,
    default_timeout: float | None = 300.0,
) -> CompletionNotifier:
    """Return a completion notifier: in-process without ``redis``, shared through it with.

    Register the result in the APP scope and close it with the app (``await
    notifier.aclose()``).

    Args:
        redis: ``None`` for the in-process notifier; a ``redis.asyncio.Redis`` client or a
            ``redis://`` URL for one shared by every process on that Redis.
        namespace: Keeps this notifier's keys and channels apart from other notifiers'.
        retention: Seconds a completion is kept for a late waiter (0: not kept).
        default_timeout: Seconds ``wait()`` waits without a timeout (``None``: no limit).

    Raises:
        MissingExtraError: A URL was given and ``rescope[redis]`` is not installed.
        ConfigurationError: ``retention`` is negative or not finite.
    """
    if redis is None:
        return InMemoryNotifier(
            namespace=namespace, retention=retention, default_timeout=default_timeout
        )
    return RedisNotifier(
        redis, namespace=namespace, retention=retention, default_timeout=default_timeout
    )


def create_event_bus(redis: Any = None, *, namespace: str = "rescope") -> UserEventBus:
    """Return a user event bus: in-process without ``redis``, across instances with it.

    Register the result in the APP scope and close it with the app.

    Args:
        redis: ``None`` for the in-process bus; a ``redis.asyncio.Redis`` client or a
            ``redis://`` URL for one that reaches every instance on that Redis.
        namespace: Keeps this bus's channels apart from other buses'.

    Raises:
        MissingExtraError: A URL was given and ``rescope[redis]`` is not installed.
    """
    if redis is None:
        return InMemoryUserEventBus(namespace=namespace)
    return RedisUserEventBus(redis, namespace=namespace)
