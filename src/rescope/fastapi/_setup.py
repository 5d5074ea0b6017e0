"""``setup(app, container)``: lifespan, middleware, injected routes and problem handlers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from starlette.requests import HTTPConnection

from rescope.di import Container, Scope, ScopedContainer
from rescope.exceptions import (
    ConfigurationError,
    MissingDependencyError,
    ScopeViolationError,
    _qualified_name,
)
from rescope.fastapi._graph import context_keys, is_provided, level_of
from rescope.fastapi._middleware import install
from rescope.fastapi._problems import add_problem_handlers
from rescope.fastapi._routes import Injection, inject_routes, mounted_integrations
from rescope.fastapi._runtime import (
    ContainerSource,
    Integration,
    UserKey,
    integration_of,
)

__all__ = ["message_scope", "setup"]


def _check(container: Container, injections: list[Injection], *, user_scopes: bool) -> None:
    """Fail at startup when a path operation injects what the container cannot give it."""
    for injection in injections:
        if not is_provided(container, injection.key):
            raise MissingDependencyError(
                injection.endpoint, dependency=injection.key, parameter=injection.name
            )
        level = level_of(container, injection.key)
        if level > Scope.REQUEST:
            raise ScopeViolationError(
                injection.endpoint,
                scope=Scope.REQUEST,
                dependency=injection.key,
                dependency_scope=level,
            )
    if user_scopes:
        shared = context_keys(container, parent=Scope.APP, entered=Scope.SESSION)
        for key in (WebSocket, HTTPConnection, Request):
            if key in shared:
                raise ConfigurationError(
                    f"`{_qualified_name(key)}` is declared as a SESSION context value, but with"
                    " user_key a SESSION scope is one user's, shared by all of that user's"
                    " requests and connections: it has no single connection to hold.",
                    setting="user_key",
                    hint=f"`registry.context({key.__name__}, scope=CONNECTION)` (one websocket"
                    " connection, `from rescope.fastapi import CONNECTION`) or"
                    " `scope=Scope.REQUEST` (one request or websocket message).",
                )


async def _start(integration: Integration, stack: contextlib.AsyncExitStack) -> None:
    """Start ``integration`` and, inside it, those of mounted apps with their own setup."""
    await integration.startup()
    stack.push_async_callback(integration.shutdown)
    _check(
        integration.container,
        inject_routes(integration.app.routes),
        user_scopes=integration.user_key is not None,
    )
    for nested in mounted_integrations(integration.app.routes):
        await _start(nested, stack)


def _lifespan(
    integration: Integration, inner: Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Mapping[str, Any] | None]:
        async with contextlib.AsyncExitStack() as stack:
            await _start(integration, stack)
            async with inner(app) as state:
                yield state

    return lifespan


def setup(  # noqa: PLR0913 - keyword-only options of one call
    app: FastAPI,
    container: ContainerSource,
    *,
    user_key: UserKey | None = None,
    max_users: int = 10_000,
    user_idle_ttl: float = 900.0,
    problem_details: bool = True,
) -> Integration:
    """Serve ``app``'s injected parameters from ``container``; call it after adding routes.

    * **Lifespan**: at startup the container is built (when ``container`` is a registry or
      a factory: a broken graph fails the start with the validation error) and every
      path operation's injected types are checked; at shutdown user scopes and the
      container are closed, so APP finalizers run. The app's own lifespan runs inside.
    * **Routes**: path operations with ``Inject[T]`` parameters (in the app, its routers
      and mounted FastAPI sub-applications) get them resolved by rescope, not by
      FastAPI's solver, with no threadpool hop; routes added later are covered at startup.
    * **Scopes**: each HTTP request enters REQUEST once, on first use, and closes it
      after the response is sent, streaming bodies and background tasks included. A
      websocket connection enters a ``CONNECTION`` scope of its own. With ``user_key``,
      requests and connections of one user share that user's SESSION scope (a
      connection's CONNECTION scope is entered from it).
    * **Mounted apps** with their own ``setup`` serve their routes from their own
      container; this app's lifespan starts and stops them.
    * **Errors**: with ``problem_details``, ``RescopeError`` and ``ServiceError`` are
      answered as RFC 9457 ``application/problem+json``.

    Args:
        app: The FastAPI application.
        container: A built ``Container``, a ``Registry`` to build at startup, or a function
            returning a ``Container`` (called at startup).
        user_key: Returns the user a request or websocket belongs to (None: anonymous);
            sync or async.
        max_users: How many idle user scopes to keep (least recently used go first).
        user_idle_ttl: Seconds an unused user scope is kept before its finalizers run.
        problem_details: Install the problem+json exception handlers.

    Returns:
        The integration (also at ``app.state.rescope``): ``.container``, ``.users``.
    """
    integration = Integration(
        app, container, user_key=user_key, max_users=max_users, user_idle_ttl=user_idle_ttl
    )
    app.state.rescope = integration

    install(app, integration)
    app.router.lifespan_context = _lifespan(integration, app.router.lifespan_context)
    inject_routes(app.routes)
    app.openapi_schema = None
    if problem_details:
        add_problem_handlers(app)
    return integration


@contextlib.asynccontextmanager
async def message_scope(
    websocket: WebSocket, scope: Scope = Scope.REQUEST
) -> AsyncIterator[ScopedContainer]:
    """Enter a scope for one websocket message, closed when the ``async with`` block ends.

    It is entered from the connection's scope (CONNECTION) and closed, with its finalizers,
    when the block ends. The ``WebSocket`` is passed as a context value when the scope
    declares it.

    Args:
        websocket: The connection.
        scope: The scope to enter: REQUEST (default) or ACTION.

    Raises:
        ConfigurationError: When the app was not set up with ``setup``.
    """
    async with integration_of(websocket.scope).message_scope(websocket, scope) as entered:
        yield entered
