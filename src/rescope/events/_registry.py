"""A ready-made registry: the events services in their scopes, closed with them."""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rescope.di import Registry, Scope
from rescope.events._bus import UserEventBus
from rescope.events._completion import CompletionNotifier, check_retention
from rescope.events._connections import ConnectionManager
from rescope.events._factories import create_event_bus, create_notifier
from rescope.events._router import EventRouter
from rescope.events._runs import RunRegistry
from rescope.exceptions import ConfigurationError

__all__ = ["UserContext", "events_registry"]

UserId = Callable[[Any], str]


@dataclass(frozen=True, slots=True)
class UserContext:
    """The user a SESSION scope belongs to, as the events services see it.

    :func:`events_registry` declares it as the SESSION context value (enter a user's scope
    with ``context={UserContext: UserContext("alice")}``), or derives it from your own
    user type when you pass ``user=``.

    Attributes:
        user_id: The user's id: names their Redis channel, so keep it stable and unique.
    """

    user_id: str


def events_registry(  # noqa: PLR0913 - keyword-only settings of one registry
    redis_url: str | None = None,
    *,
    namespace: str = "rescope",
    retention: float = 60.0,
    default_timeout: float | None = 300.0,
    max_queue: int = 1000,
    user: type[Any] = UserContext,
    user_id: UserId | None = None,
    runs_scope: Scope = Scope.SESSION,
) -> Registry:
    """Return a registry with the events services, each in its scope and closed with it.

    * APP: :class:`CompletionNotifier` and :class:`UserEventBus` (in-process without
      ``redis_url``, over Redis with it), closed with ``aclose()`` when the container is.
    * SESSION, per user: :class:`ConnectionManager`, :class:`EventRouter` and
      :class:`RunRegistry`. Closing the user's scope closes the router (its Redis channel
      is unsubscribed and its task ends), forgets the sockets and the runs.
    * The user comes from a SESSION context value: :class:`UserContext`, declared here, or
      your own type (``user=CurrentUser``), which you declare with
      ``registry.context(...)`` as your integration does.

    Use it next to the application's registry: ``Container(events_registry(redis_url=url),
    app_registry)``. The providers are async: resolve with ``await scope.aget(...)``.

    Args:
        redis_url: A ``redis://`` URL shared by every process; ``None``: in-process.
        namespace: Prefix of the notifier's keys and the bus's channels.
        retention: Seconds a completion is kept for late waiters.
        default_timeout: Seconds ``wait()`` waits when not told (``None``: no limit).
        max_queue: Events one user's router holds for slow sockets.
        user: The SESSION context type that identifies the user.
        user_id: Returns the user id from a ``user`` value; by default its ``user_id`` or
            ``key`` attribute, as text.
        runs_scope: The scope of :class:`RunRegistry`: SESSION (per user) or REQUEST.

    Raises:
        ConfigurationError: A setting is out of range, ``user`` has neither ``user_id``
            nor ``key`` and no ``user_id=`` was given, or ``runs_scope`` is APP.
        MissingExtraError: ``redis_url`` was given and ``rescope[redis]`` is not installed
            (raised when the notifier or bus is first resolved).
    """
    _check(retention=retention, max_queue=max_queue, runs_scope=runs_scope)
    registry = Registry()

    async def completion_notifier() -> AsyncIterator[CompletionNotifier]:
        notifier = create_notifier(
            redis_url, namespace=namespace, retention=retention, default_timeout=default_timeout
        )
        try:
            yield notifier
        finally:
            await notifier.aclose()

    async def user_event_bus() -> AsyncIterator[UserEventBus]:
        bus = create_event_bus(redis_url, namespace=namespace)
        try:
            yield bus
        finally:
            await bus.aclose()

    def connection_manager(principal: UserContext) -> Iterator[ConnectionManager]:
        manager = ConnectionManager(principal.user_id)
        try:
            yield manager
        finally:
            manager.clear()

    async def event_router(
        principal: UserContext, bus: UserEventBus, connections: ConnectionManager
    ) -> AsyncIterator[EventRouter]:
        router = EventRouter(principal.user_id, bus, connections, max_queue=max_queue)
        try:
            yield router
        finally:
            await router.aclose()

    def run_registry(principal: UserContext) -> Iterator[RunRegistry]:
        runs = RunRegistry(principal.user_id)
        try:
            yield runs
        finally:
            runs.close()

    registry.add(completion_notifier)
    registry.add(user_event_bus)
    if user is UserContext and user_id is None:
        registry.context(UserContext, scope=Scope.SESSION)
    else:
        registry.add(_user_context(user, user_id), scope=Scope.SESSION)
    registry.add(connection_manager, scope=Scope.SESSION)
    registry.add(event_router, scope=Scope.SESSION)
    registry.add(run_registry, scope=runs_scope)
    return registry


def _check(*, retention: float, max_queue: int, runs_scope: Scope) -> None:
    check_retention(retention)
    if max_queue < 1:
        raise ConfigurationError(
            f"max_queue={max_queue!r} must be at least 1: it is how many events may wait for"
            " a slow connection.",
            setting="max_queue",
            hint="max_queue=1000.",
        )
    if runs_scope <= Scope.APP:
        raise ConfigurationError(
            "runs_scope=APP would make one RunRegistry for every user, so one user's run ids"
            " would resolve in another's.",
            setting="runs_scope",
            hint="runs_scope=Scope.SESSION (per user) or Scope.REQUEST (per request).",
        )


def _user_context(user: type[Any], user_id: UserId | None) -> Callable[..., UserContext]:
    """Return a provider of :class:`UserContext` made from the ``user`` context value."""
    read = user_id if user_id is not None else _attribute_reader(user)

    def user_context(value: Any) -> UserContext:
        return UserContext(str(read(value)))

    # The container reads the parameter's type from the annotations: the caller's type.
    user_context.__annotations__ = {"value": user, "return": UserContext}
    user_context.__qualname__ = f"events_registry.user_context[{user.__qualname__}]"
    return user_context


def _attribute_reader(user: type[Any]) -> UserId:
    names: set[str] = set(dir(user))
    for cls in user.__mro__:
        names.update(getattr(cls, "__annotations__", {}))
    for attribute in ("user_id", "key"):
        if attribute in names:
            return operator.attrgetter(attribute)
    raise ConfigurationError(
        f"events_registry(user={user.__qualname__}) cannot tell the user's id:"
        f" `{user.__qualname__}` has no `user_id` or `key` attribute.",
        setting="user_id",
        hint=f"passing user_id=lambda user: str(user.<id attribute>) for `{user.__qualname__}`.",
    )
