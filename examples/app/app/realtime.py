"""The event parts, registered by ``rescope.events``: APP notifier and bus, per-user router.

``events_registry`` provides the completion notifier and the user event bus (APP, closed
at shutdown) and, per user, the websockets, the event router and the running jobs
(SESSION, closed when the user's scope is evicted). The user is the integration's
``CurrentUser``; in-process without ``REDIS_URL``, over Redis with it.
"""

from __future__ import annotations

from app.settings import AppSettings
from rescope import Registry
from rescope.events import events_registry
from rescope.fastapi import CurrentUser


def realtime_registry(settings: AppSettings) -> Registry:
    """The notifier, the bus and the per-user event services for ``settings``.

    Args:
        settings: Where Redis is (if anywhere), the key namespace and the retention.
    """
    return events_registry(
        settings.redis_url or None,
        namespace=settings.app_namespace,
        retention=settings.completion_retention,
        user=CurrentUser,
    )
