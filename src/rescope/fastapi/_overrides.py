"""``app.dependency_overrides`` for injected path-operation parameters, solved by FastAPI.

An injected parameter is resolved by rescope, not by FastAPI's solver. When the app's
``dependency_overrides`` replaces ``dependency_for(T)``, the replacement may have
parameters of its own (query parameters, headers, other dependencies, generators): it
is then solved through FastAPI's dependency machinery, exactly as a ``Depends`` would
be. Nothing of this runs while no override is set.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant, solve_dependencies
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from rescope.exceptions import ConfigurationError

__all__ = ["solve_override"]

_VALUE = "value"
_lock = threading.Lock()
_holders: dict[Callable[..., Any], Dependant] = {}


def _holder(dependency: Callable[..., Any]) -> Dependant:
    """A dependant with one sub-dependency, ``dependency``, for FastAPI to solve."""
    holder = _holders.get(dependency)
    if holder is None:
        with _lock:
            holder = _holders.get(dependency)
            if holder is None:

                def hold(value=Depends(dependency)):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202, B008
                    return value

                holder = _holders[dependency] = get_dependant(path="", call=hold)
    return holder


async def solve_override(
    dependency: Callable[..., Any], connection: HTTPConnection, app: FastAPI
) -> Any:
    """Solve the replacement ``app.dependency_overrides`` holds for ``dependency``.

    Args:
        dependency: ``dependency_for(T)`` of the injected type.
        connection: The request or websocket being served.
        app: The app whose ``dependency_overrides`` to apply.

    Raises:
        RequestValidationError: When the replacement's own parameters are invalid.
    """
    asgi = connection.scope
    stack = asgi.get("fastapi_inner_astack") or asgi.get("fastapi_astack")
    if not isinstance(stack, contextlib.AsyncExitStack):  # pragma: no cover - FastAPI sets one
        raise ConfigurationError(
            "a dependency override of an injected parameter is solved with the request's"
            " exit stack, and FastAPI set none for this request.",
            setting="dependency_overrides",
            hint="`container.override(T, fake)` (or `Overrides(app)(T, fake)`) instead.",
        )
    solved = await solve_dependencies(
        request=connection,  # type: ignore[arg-type]  # FastAPI passes a Request or WebSocket
        dependant=_holder(dependency),
        async_exit_stack=stack,
        embed_body_fields=False,
        dependency_overrides_provider=app,
    )
    if solved.errors:
        if isinstance(connection, WebSocket):
            raise WebSocketRequestValidationError(solved.errors)
        raise RequestValidationError(solved.errors)
    return solved.values[_VALUE]
