"""The ASGI layer that closes each connection's scope after its response is sent.

FastAPI's middleware stack ends with ``AsyncExitStackMiddleware``, which gives every
connection an ``AsyncExitStack`` (for closing uploaded files). :class:`RescopeMiddleware`
takes its place and does its job as well, so serving an app with rescope adds no layer
to the stack: each layer is a coroutine every request goes through. It closes that stack
only when something was pushed onto it (an uploaded file, say), after the connection's
scope, and with the exception the request ended with; most requests push nothing, and
entering and leaving an empty stack would cost two coroutines. When the stack has no
such layer, rescope's wraps the router instead.
"""

# The middleware closes scopes the way ``ScopedContainer.__exit__`` does, inlined.
# ruff: noqa: SLF001

from __future__ import annotations

import logging
from collections import deque
from contextlib import AsyncExitStack
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as ASGIScope

from rescope.di import ScopedContainer
from rescope.di._scoped import OpenScope
from rescope.exceptions import AsyncFinalizerError, CleanupError, ConfigurationError
from rescope.fastapi._runtime import STATE_KEY, ConnectionState, Integration

__all__ = ["RescopeMiddleware", "install"]

logger = logging.getLogger("rescope.fastapi")

_TRACKED = isinstance(getattr(AsyncExitStack(), "_exit_callbacks", None), deque)
"""Whether an ``AsyncExitStack`` shows its pending callbacks (CPython's keeps a deque).

Where it does not, every connection's stack is closed, pushed onto or not.
"""


class RescopeMiddleware:
    """Pure ASGI middleware: closes each connection's scope after the response is sent.

    The scope itself is entered lazily, by the first injected parameter.

    Args:
        app: The wrapped ASGI app.
        integration: The app's integration.
        exit_stack: The ASGI scope key of the per-connection ``AsyncExitStack`` it
            provides in place of FastAPI's ``AsyncExitStackMiddleware`` (None: none).
    """

    def __init__(
        self, app: ASGIApp, integration: Integration, exit_stack: str | None = None
    ) -> None:
        self.app = app
        self.integration = integration
        self.exit_stack = exit_stack

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:  # noqa: C901, PLR0912 - one request, its hot path inlined
        files: Any = None
        if self.exit_stack is not None:
            files = scope[self.exit_stack] = AsyncExitStack()
        try:
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            elif (outer := scope.get(STATE_KEY)) is not None:
                await self._nested(outer, scope, receive, send)
            else:
                integration = self.integration
                state = ConnectionState()
                state.integration = integration
                state.scope = state.lease = state.tasks = state.error = None
                scope[STATE_KEY] = state
                try:
                    await self.app(scope, receive, send)
                except BaseException as error:
                    if state.scope is not None or state.lease is not None:
                        await integration.exit(state, error, scope.get("path"))
                    raise
                entered = state.scope
                if entered is None:
                    if state.lease is not None:
                        await integration.exit(state, state.error, scope.get("path"))
                elif (
                    integration.plain
                    and state.error is None
                    and type(entered) is OpenScope
                    and entered._fin is None
                ):
                    entered._s = entered._s.closed  # the common case: __exit__ with nothing to run
                elif not (
                    integration.plain
                    and state.error is None
                    and not integration.async_close
                    and scope["type"] == "http"
                    and _exit(entered, scope)
                ):
                    await integration.exit(state, state.error, scope.get("path"))
        except BaseException as error:
            # the connection's files close after its scope, as under ``async with files``
            if (
                files is not None
                and (not _TRACKED or files._exit_callbacks)
                and await files.__aexit__(type(error), error, error.__traceback__)
            ):
                return
            raise
        if files is not None and (not _TRACKED or files._exit_callbacks):
            await files.aclose()

    async def _nested(
        self, outer: ConnectionState, scope: ASGIScope, receive: Receive, send: Send
    ) -> None:
        """Serve a mounted app with its own ``setup`` with its own state, then restore."""
        if outer.integration is self.integration:  # served twice: the outer call closes
            await self.app(scope, receive, send)
            return
        del scope[STATE_KEY]
        try:
            await self(scope, receive, send)
        finally:
            scope[STATE_KEY] = outer


def _exit(entered: ScopedContainer, scope: ASGIScope) -> bool:
    """Close an HTTP request's ``entered`` without awaiting; False when it cannot.

    It cannot when the scope holds async finalizers. (A websocket connection's scope is
    closed by ``Integration.exit``: the caller sends only HTTP requests here.)
    """
    try:
        entered.__exit__(None, None, None)
    except AsyncFinalizerError:
        state: ConnectionState = scope[STATE_KEY]
        state.integration.async_close = True  # from now on this app closes asynchronously
        return False
    except CleanupError:
        logger.exception("finalizers of the scope of %s failed", scope.get("path"))
    return True


def _wrap(stack: ASGIApp, app: FastAPI, integration: Integration) -> ASGIApp:
    """``stack`` with FastAPI's exit-stack layer replaced by rescope's.

    Without that layer in the stack (another FastAPI version, or a middleware hiding
    what it wraps), rescope's layer wraps the router's own stack instead, which every
    request of the app goes through.
    """
    node: Any = stack
    while node is not None:
        inner = getattr(node, "app", None)
        if isinstance(inner, AsyncExitStackMiddleware):
            node.app = RescopeMiddleware(inner.app, integration, exit_stack=inner.context_name)
            return stack
        node = inner
    router: Any = app.router
    if not isinstance(router.middleware_stack, RescopeMiddleware):
        router.middleware_stack = RescopeMiddleware(router.middleware_stack, integration)
    return stack


def install(app: FastAPI, integration: Integration) -> None:
    """Make ``app``'s middleware stack, when it is built, serve ``integration``.

    Raises:
        ConfigurationError: When the app has already started (its stack is built).
    """
    if app.middleware_stack is not None:
        raise ConfigurationError(
            "setup() was called on an application that has already started: its middleware"
            " stack is built, so rescope cannot close request scopes.",
            setting="setup",
            hint="calling `rescope.fastapi.setup(app, ...)` before the app starts serving"
            " (after adding routes and middleware).",
        )
    build = app.build_middleware_stack

    def build_with_rescope() -> ASGIApp:
        return _wrap(build(), app, integration)

    app.build_middleware_stack = build_with_rescope  # type: ignore[method-assign]
