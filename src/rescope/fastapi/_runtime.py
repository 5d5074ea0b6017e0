"""The per-app runtime: the container, scope entry per connection, and the ASGI middleware."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, MutableMapping
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request, WebSocket
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as ASGIScope

from rescope.di import Container, Registry, Scope, ScopedContainer
from rescope.exceptions import AsyncFinalizerError, CleanupError, ConfigurationError
from rescope.fastapi._graph import context_keys
from rescope.fastapi._users import CurrentUser, UserLease, UserScopes

__all__ = [
    "CONNECTION",
    "ERROR_KEY",
    "LEASE_KEY",
    "OWN_KEY",
    "SCOPE_KEY",
    "STATE_KEY",
    "TASKS_KEY",
    "ContainerSource",
    "Integration",
    "UserKey",
    "current_scope",
    "integration_of",
]

logger = logging.getLogger("rescope.fastapi")

# Keys in the ASGI scope dict: the integration, the connection's scope, its user lease and
# the BackgroundTasks handed to services.
STATE_KEY = "rescope.integration"
SCOPE_KEY = "rescope.scope"
LEASE_KEY = "rescope.user"
TASKS_KEY = "rescope.tasks"
OWN_KEY = "rescope.own"
# An error the endpoint raised that an exception handler then turned into a response.
ERROR_KEY = "rescope.error"

CONNECTION = Scope.custom("CONNECTION", after=Scope.SESSION)
"""The scope of one websocket connection, between SESSION and REQUEST.

Every websocket connection enters it: from its user's SESSION when ``user_key`` names
one (so per-user services stay shared while per-connection ones, and the ``WebSocket``
declared with ``registry.context(WebSocket, scope=CONNECTION)``, are the connection's
own), from APP otherwise. An HTTP request enters REQUEST, which covers it.
"""

# Keys a mounted sub-application with its own ``setup`` sets in the shared ASGI scope.
_KEYS = (STATE_KEY, SCOPE_KEY, LEASE_KEY, TASKS_KEY, OWN_KEY, ERROR_KEY)

UserKey = Callable[[HTTPConnection], "Hashable | Awaitable[Hashable | None] | None"]
ContainerSource = Container | Registry | Callable[[], Container]


def integration_of(asgi: MutableMapping[str, Any]) -> Integration:
    """The integration serving this connection.

    Raises:
        ConfigurationError: When the app was not set up with ``rescope.fastapi.setup``.
    """
    integration = asgi.get(STATE_KEY)
    if integration is None:
        raise ConfigurationError(
            "a service was injected into a request of an app that rescope does not serve:"
            " no request scope can be entered, so there is nothing to resolve it from.",
            setting="setup",
            hint="`rescope.fastapi.setup(app, container)` on the application (the outermost"
            " one when sub-applications are mounted).",
        )
    return integration  # type: ignore[no-any-return]


async def current_scope(connection: HTTPConnection) -> ScopedContainer:
    """The scope of ``connection``: REQUEST for HTTP, CONNECTION for websockets.

    Entered on first use; the middleware closes it after the response is sent (after the
    websocket closes).

    Args:
        connection: The FastAPI ``Request`` or ``WebSocket``.

    Raises:
        ConfigurationError: When the app was not set up with ``rescope.fastapi.setup``.
    """
    asgi = connection.scope
    scope: ScopedContainer | None = asgi.get(SCOPE_KEY)
    if scope is None:
        scope = await integration_of(asgi).enter(connection)
    return scope


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
        self._request_keys = tuple(k for k in (Request, HTTPConnection) if k in http)
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
                keys = self._request_keys
                context = dict.fromkeys(keys, connection) if keys else None
                scope = asgi[SCOPE_KEY] = self._container.scope(  # type: ignore[union-attr]
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
        connection.scope[LEASE_KEY] = lease
        return lease

    def _enter(self, connection: HTTPConnection, lease: UserLease | None) -> ScopedContainer:
        asgi = connection.scope
        container = self.container
        if asgi["type"] == "websocket":
            if lease is None:
                own = self.context_for(connection, parent=Scope.APP, entered=CONNECTION)
                scope = container.scope(CONNECTION, context=own)
            else:
                own = self.context_for(connection, parent=Scope.SESSION, entered=CONNECTION)
                scope = lease.scope.scope(CONNECTION, context=own)
            asgi[OWN_KEY] = asgi[SCOPE_KEY] = scope
            return scope
        if lease is None:
            keys, with_tasks = self._request_keys, self._tasks
        else:
            keys, with_tasks = self._user_request_keys, self._user_tasks
        context: dict[Any, Any] | None = dict.fromkeys(keys, connection) if keys else None
        if with_tasks:
            tasks = asgi[TASKS_KEY] = BackgroundTasks()
            context = {**(context or {}), BackgroundTasks: tasks}
        if lease is None:
            scope = container.scope(Scope.REQUEST, context=context)
        else:
            scope = lease.scope.scope(Scope.REQUEST, context=context)
        asgi[SCOPE_KEY] = scope
        return scope

    @contextlib.asynccontextmanager
    async def message_scope(
        self, websocket: WebSocket, scope: Scope = Scope.REQUEST
    ) -> AsyncIterator[ScopedContainer]:
        """Enter a scope for one websocket message; see ``rescope.fastapi.message_scope``."""
        parent = websocket.scope.get(SCOPE_KEY)
        if parent is None:
            parent = await self.enter(websocket)
        context = self.context_for(websocket, parent=parent.scope_kind, entered=scope)
        async with parent.scope(scope, context=context) as child:
            yield child

    async def exit(self, asgi: ASGIScope, error: BaseException | None) -> None:
        """Close what :meth:`enter` opened for this connection (after the response)."""
        lease: UserLease | None = asgi.get(LEASE_KEY)
        try:
            scope: ScopedContainer | None = (
                asgi.get(SCOPE_KEY) if asgi["type"] == "http" else asgi.get(OWN_KEY)
            )
            if scope is not None:
                tasks: BackgroundTasks | None = asgi.get(TASKS_KEY)
                if tasks is not None and error is None and tasks.tasks:
                    await tasks()
                await self._close(scope, error)
        except CleanupError:
            logger.exception("finalizers of the scope of %s failed", asgi.get("path"))
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


class RescopeMiddleware:
    """Pure ASGI middleware: closes each connection's scope after the response is sent.

    The scope itself is entered lazily, by the first injected parameter, so requests
    that inject nothing cost one dict store.

    Args:
        app: The wrapped ASGI app.
        integration: The app's integration.
    """

    def __init__(self, app: ASGIApp, integration: Integration) -> None:
        self.app = app
        self.integration = integration

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        integration = self.integration
        outer = scope.get(STATE_KEY)
        if outer is not None and outer is not integration:
            await self._nested(scope, receive, send)
            return
        scope[STATE_KEY] = integration
        try:
            await self.app(scope, receive, send)
        except BaseException as error:
            if SCOPE_KEY in scope or LEASE_KEY in scope:
                await integration.exit(scope, error)
            raise
        entered = scope.get(SCOPE_KEY)
        handled: BaseException | None = scope.get(ERROR_KEY)
        if (
            entered is not None
            and handled is None
            and integration.plain
            and not integration.async_close
            and scope["type"] == "http"
        ):
            # the common case, inlined: a request scope with sync finalizers at most
            try:
                entered.__exit__(None, None, None)
            except AsyncFinalizerError:
                integration.async_close = True
            except CleanupError:
                logger.exception("finalizers of the scope of %s failed", scope.get("path"))
                return
            else:
                return
        if entered is not None or LEASE_KEY in scope:
            await integration.exit(scope, handled)

    async def _nested(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        """Serve a mounted app with its own ``setup``: its keys, then the outer app's back."""
        saved = {key: scope.pop(key) for key in _KEYS if key in scope}
        try:
            await self(scope, receive, send)
        finally:
            for key in _KEYS:
                scope.pop(key, None)
            scope.update(saved)
