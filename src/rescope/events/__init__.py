"""Events: completion notifications instead of polling, and per-user event routing.

* :class:`CompletionNotifier` (APP scope, from :func:`create_notifier`): ``await
  notifier.wait(key)`` until a webhook calls ``await notifier.notify(key, result)``, in this
  process or, over Redis, in any other.
* :class:`UserEventBus` (APP scope, from :func:`create_event_bus`) with, per user (SESSION
  scope), an :class:`EventRouter`, a :class:`ConnectionManager` and a :class:`RunRegistry`:
  ``send_to_user(user_id, event)`` reaches all of that user's websockets, on every
  instance, and nobody else's.

:func:`events_registry` registers all of them in their scopes for a container, keyed by
the user of each SESSION scope. Without Redis everything runs in-process; the Redis
backends need ``rescope[redis]``.
"""

from rescope.events._bus import BusStats, InMemoryUserEventBus, Subscription, UserEventBus
from rescope.events._completion import CompletionNotifier, NotifierStats
from rescope.events._connections import ConnectionManager, WebSocketLike
from rescope.events._factories import create_event_bus, create_notifier
from rescope.events._memory import InMemoryNotifier
from rescope.events._redis_bus import RedisUserEventBus
from rescope.events._redis_notifier import RedisNotifier
from rescope.events._registry import UserContext, events_registry
from rescope.events._router import EventRouter
from rescope.events._runs import RunRecord, RunRegistry

__all__ = [
    "BusStats",
    "CompletionNotifier",
    "ConnectionManager",
    "EventRouter",
    "InMemoryNotifier",
    "InMemoryUserEventBus",
    "NotifierStats",
    "RedisNotifier",
    "RedisUserEventBus",
    "RunRecord",
    "RunRegistry",
    "Subscription",
    "UserContext",
    "UserEventBus",
    "WebSocketLike",
    "create_event_bus",
    "create_notifier",
    "events_registry",
]
