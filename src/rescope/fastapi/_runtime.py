"""The per-app runtime: the container, scope entry per connection, and the ASGI middleware."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    MutableMapping,
    Sequence,
)
from dataclasses import dataclass
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request, WebSocket
from starlette.requests import HTTPConnection

from rescope.di import Container, Registry, Scope, ScopedContainer
from rescope.di._inline import DirectCall, InlineEntry, direct_calls, inline_entry
from rescope.exceptions import AsyncFinalizerError, CleanupError, ConfigurationError
from rescope.fastapi._graph import context_keys
from rescope.fastapi._users import CurrentUser, UserLease, UserScopes

__all__ = [
    "CONNECTION",
    "STATE_KEY",
    "ConnectionState",
    "ContainerSource",
    "InlineRequest",
    "Integration",
    "UserKey",
    "current_scope",
    "inline_request_entry",
    "integration_of",
    "state_of",
]

logger = logging.getLogger("rescope.fastapi")

# The one key rescope adds to the ASGI scope dict: its ConnectionState. (A key added to
# that dict can make it grow, which costs more than the rest of the bookkeeping.)
STATE_KEY = "rescope"

CONNECTION = Scope.custom("CONNECTION", after=Scope.SESSION)
"""The scope of one websocket connection, between SESSION and REQUEST.

Every websocket connection enters it: from its user's SESSION when ``user_key`` names
one (so per-user services stay shared while per-connection ones, and the ``WebSocket``
declared with ``registry.context(WebSocket, scope=CONNECTION)``, are the connection's
own), from APP otherwise. An HTTP request enters REQUEST, which covers it.
"""

UserKey = Callable[[HTTPConnection], "Hashable | Awaitable[Hashable | None] | None"]
ContainerSource = Container | Registry | Callable[[], Container]


class ConnectionState:
    """What rescope keeps for one connection, under ``STATE_KEY`` in its ASGI scope.

    Made by the middleware without an ``__init__`` call; it sets every attribute.

    Attributes:
        integration: The integration serving the connection.
        scope: The connection's entered scope (REQUEST or CONNECTION), once entered.
        lease: The user scope lease, when ``user_key`` named a user.
        tasks: The ``BackgroundTasks`` handed to services, when they declare them.
        error: An error the endpoint raised, which an exception handler may then have
            turned into a response: the scope closes with it.
    """

    __slots__ = ("error", "integration", "lease", "scope", "tasks")
    __init__ = object.__init__

    integration: Integration
    scope: ScopedContainer | None
    lease: UserLease | None
    tasks: BackgroundTasks | None
    error: BaseException | None


def state_of(asgi: MutableMapping[str, Any]) -> ConnectionState:
    """The rescope state of this connection.

    Raises:
        ConfigurationError: When the app was not set up with ``rescope.fastapi.setup``.
    """
    state = asgi.get(STATE_KEY)
    if state is None:
        raise ConfigurationError(
            "a service was injected into a request of an app that rescope does not serve:"
            " no request scope can be entered, so there is nothing to resolve it from.",
            setting="setup",
            hint="`rescope.fastapi.setup(app, container)` on the application (the outermost"
            " one when sub-applications are mounted).",
        )
    return state  # type: ignore[no-any-return]


def integration_of(asgi: MutableMapping[str, Any]) -> Integration:
    """The integration serving this connection.

    Raises:
        ConfigurationError: When the app was not set up with ``rescope.fastapi.setup``.
    """
    return state_of(asgi).integration


async def current_scope(connection: HTTPConnection) -> ScopedContainer:
    """The scope of ``connection``: REQUEST for HTTP, CONNECTION for websockets.

    Entered on first use; the middleware closes it after the response is sent (after the
    websocket closes).

    Args:
        connection: The FastAPI ``Request`` or ``WebSocket``.

    Raises:
        ConfigurationError: When the app was not set up with ``rescope.fastapi.setup``.
    """
    state = state_of(connection.scope)
    scope = state.scope
    if scope is None:
        scope = await state.integration.enter(connection)
    return scope


@dataclass(frozen=True, slots=True)
class InlineRequest(InlineEntry):
    """How generated route code enters a request's REQUEST scope without ``enter_now``.

    An :class:`~rescope.di._inline.InlineEntry` for REQUEST, with what the route adds.

    Attributes:
        context_keys: The context keys the request passes (the connection is the value).
        calls: For each injected key, how to create it with one call in the fresh
            scope, or None.
    """

    context_keys: tuple[object, ...]
    calls: tuple[DirectCall | None, ...]


def inline_request_entry(
    integration: Integration, container: Container, keys: Sequence[object]
) -> InlineRequest | None:
    """How to enter REQUEST inline for ``integration``'s HTTP requests, or None.

    Only the plain case qualifies, which :meth:`Integration.enter_now` serves the same
    way: no user scopes and no ``BackgroundTasks`` for services. The answer holds while
    ``container.generation`` stays the same.

    Args:
        integration: The app's integration.
        container: Its container.
        keys: The keys the route injects, in order.
    """
    if not integration.plain:
        return None
    entry = inline_entry(container, Scope.REQUEST)
    if entry is None:
        return None
    return InlineRequest(
        cls=entry.cls,
        shape=entry.shape,
        context_keys=integration.request_keys,
        sync=entry.sync,
        calls=tuple(direct_calls(container, entry, keys)),
    )


class Integration:
    """What ``setup`` attaches to an app: its container, user scopes and scope entry.

    Args:
        app: The FastAPI application.
        source: A built container, a registry to build one from at startup, or a function
            returning a container (called at startup).
        user_key: Returns the user a connection belongs to (None: anonymous), sync or async.
        max_users: How many idle user scopes to keep.
        user_idle_ttl: Seconds an unused user scope is kept.
    """

    def __init__(
        self,
        app: FastAPI,
        source: ContainerSource,
        *,
        user_key: UserKey | None,
        max_users: int,
        user_idle_ttl: float,
    ) -> None:
        self.app = app
        self._source = source
        self._container: Container | None = source if isinstance(source, Container) else None
        self._owns_container = not isinstance(source, Container)
        self.user_key = user_key
        self._async_user_key = user_key is not None and inspect.iscoroutinefunction(user_key)
        self.users = UserScopes(self._enter_user, max_users=max_users, idle_ttl=user_idle_ttl)
        self._sweeper: asyncio.Task[None] | None = None
        self.async_close = False
        self.plain = False
        self.request_keys: tuple[object, ...] = ()
        self._keys: dict[tuple[Scope, Scope], frozenset[object]] = {}
        if self._container is not None:
            self._bind(self._container)

    # --- the container ----------------------------------------------------------------

    @property
    def container(self) -> Container:
        """The container serving the app.

        Raises:
            ConfigurationError: When it is built at startup and the app has not started.
        """
        if self._container is None:
            raise ConfigurationError(
                "the container is built when the application starts, and it has not started.",
                setting="setup",
                hint="starting the app first (`with TestClient(app) as client:` runs the"
                " lifespan), or pass a built Container to setup().",
            )
        return self._container

    def build(self) -> Container:
        """Build the container (when setup got a registry or a factory) and bind to it."""
        if self._container is None:
            source = self._source
            if isinstance(source, Registry):
                built: object = Container(source)
            elif isinstance(source, Container):
                built = source
            else:
                built = source()
            if not isinstance(built, Container):
                raise ConfigurationError(
                    f"the container factory given to setup() returned {built!r}, not a Container.",
                    setting="setup",
                    hint="returning `Container(registry)` from the factory.",
                )
            self._container = built
            self._bind(built)
        return self._container

    def _bind(self, container: Container) -> None:
        self._keys = {}
        for parent, entered in (
            (Scope.APP, Scope.REQUEST),
            (Scope.SESSION, Scope.REQUEST),
            (Scope.APP, Scope.SESSION),
            (Scope.SESSION, Scope.ACTION),
            (Scope.REQUEST, Scope.ACTION),
        ):
            self._keys[parent, entered] = context_keys(container, parent=parent, entered=entered)
        http = self._keys[Scope.APP, Scope.REQUEST]
        self.request_keys = tuple(k for k in (Request, HTTPConnection) if k in http)
        user_http = self._keys[Scope.SESSION, Scope.REQUEST]
        self._user_request_keys = tuple(k for k in (Request, HTTPConnection) if k in user_http)
        self._tasks = BackgroundTasks in http
        self._user_tasks = BackgroundTasks in user_http
        self._current_user = CurrentUser in self._keys[Scope.APP, Scope.SESSION]
        # the common case: no user scopes and no background tasks for services
        self.plain = self.user_key is None and not self._tasks

    def context_for(
        self, connection: HTTPConnection, *, parent: Scope, entered: Scope
    ) -> dict[Any, Any] | None:
        """The context values of ``connection`` that entering ``entered`` declares."""
        keys = self._keys.get((parent, entered))
        if keys is None:
            keys = self._keys[parent, entered] = context_keys(
                self.container, parent=parent, entered=entered
            )
        wanted = {k: connection for k in (type(connection), HTTPConnection) if k in keys}
        return wanted or None

    # --- entering scopes --------------------------------------------------------------

    def _enter_user(self, key: Hashable) -> ScopedContainer:
        context = {CurrentUser: CurrentUser(key)} if self._current_user else None
        return self.container.scope(Scope.SESSION, context=context)

    def enter_now(self, connection: HTTPConnection) -> ScopedContainer | None:
        """Enter the scope of ``connection`` without awaiting, or return None when it must.

        Only an async ``user_key`` needs an ``await``; use :meth:`enter` then.

        Args:
            connection: The FastAPI ``Request`` or ``WebSocket``.
        """
        if self.plain:
            asgi = connection.scope
            if asgi["type"] == "http":
                keys = self.request_keys
                context = dict.fromkeys(keys, connection) if keys else None
                scope = asgi[STATE_KEY].scope = self._container.scope(  # type: ignore[union-attr]
                    Scope.REQUEST, context=context
                )
                return scope
        if self.user_key is None:
            return self._enter(connection, None)
        if self._async_user_key:
            return None
        return self._enter(connection, self._lease(connection, self.user_key(connection)))

    async def enter(self, connection: HTTPConnection) -> ScopedContainer:
        """Enter the scope of ``connection`` and record it for the middleware to close.

        HTTP requests enter REQUEST, from the user's SESSION when ``user_key`` names one.
        Websocket connections enter CONNECTION, from the user's SESSION or from APP.

        Args:
            connection: The FastAPI ``Request`` or ``WebSocket``.
        """
        user_key = self.user_key
        if user_key is None:
            return self._enter(connection, None)
        key = user_key(connection)
        if self._async_user_key:
            key = await key  # type: ignore[misc]
        return self._enter(connection, self._lease(connection, key))

    def _lease(self, connection: HTTPConnection, key: object) -> UserLease | None:
        if key is None:
            return None
        lease = self.users.acquire(key)
        state_of(connection.scope).lease = lease
        return lease

    def _enter(self, connection: HTTPConnection, lease: UserLease | None) -> ScopedContainer:
        asgi = connection.scope
        state = state_of(asgi)
        container = self.container
        if asgi["type"] == "websocket":
            if lease is None:
                own = self.context_for(connection, parent=Scope.APP, entered=CONNECTION)
                scope = container.scope(CONNECTION, context=own)
            else:
                own = self.context_for(connection, parent=Scope.SESSION, entered=CONNECTION)
                scope = lease.scope.scope(CONNECTION, context=own)
            state.scope = scope
            return scope
        if lease is None:
            keys, with_tasks = self.request_keys, self._tasks
        else:
            keys, with_tasks = self._user_request_keys, self._user_tasks
        context: dict[Any, Any] | None = dict.fromkeys(keys, connection) if keys else None
        if with_tasks:
            tasks = state.tasks = BackgroundTasks()
            context = {**(context or {}), BackgroundTasks: tasks}
        if lease is None:
            scope = container.scope(Scope.REQUEST, context=context)
        else:
            scope = lease.scope.scope(Scope.REQUEST, context=context)
        state.scope = scope
        return scope

    @contextlib.asynccontextmanager
    async def message_scope(
        self, websocket: WebSocket, scope: Scope = Scope.REQUEST
    ) -> AsyncIterator[ScopedContainer]:
        """Enter a scope for one websocket message; see ``rescope.fastapi.message_scope``."""
        parent = state_of(websocket.scope).scope
        if parent is None:
            parent = await self.enter(websocket)
        context = self.context_for(websocket, parent=parent.scope_kind, entered=scope)
        async with parent.scope(scope, context=context) as child:
            yield child

    async def exit(
        self, state: ConnectionState, error: BaseException | None, path: object = None
    ) -> None:
        """Close what :meth:`enter` opened for this connection (after the response)."""
        lease = state.lease
        try:
            scope = state.scope
            if scope is not None:
                tasks = state.tasks
                if tasks is not None and error is None and tasks.tasks:
                    await tasks()
                await self._close(scope, error)
        except CleanupError:
            logger.exception("finalizers of the scope of %s failed", path)
        finally:
            if lease is not None:
                await self.users.release(lease)

    async def _close(self, scope: ScopedContainer, error: BaseException | None) -> None:
        if error is None and not self.async_close:
            # A sync close is cheaper; it refuses, before running anything, when the scope
            # holds async finalizers, and from then on this app closes asynchronously.
            try:
                scope.__exit__(None, None, None)
            except AsyncFinalizerError:
                self.async_close = True
            else:
                return
        if error is None:
            await scope.__aexit__(None, None, None)
        else:
            await scope.__aexit__(type(error), error, error.__traceback__)

    # --- lifespan ---------------------------------------------------------------------

    async def startup(self) -> None:
        """Build the container and start sweeping idle user scopes."""
        self.build()
        if self.user_key is not None and self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        interval = max(min(self.users.idle_ttl / 2, 60.0), 0.05)
        while True:
            await asyncio.sleep(interval)
            await self.users.sweep()

    async def shutdown(self) -> None:
        """Stop sweeping, close every user scope, then close the container."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await self.users.aclose()
        if self._container is not None:
            await self._container.aclose()
            if self._owns_container:
                self._container = None
