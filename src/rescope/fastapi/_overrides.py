"""``app.dependency_overrides`` for injected path-operation parameters, solved by FastAPI.

An injected parameter is resolved by rescope, not by FastAPI's solver. When the app's
``dependency_overrides`` replaces ``dependency_for(T)``, the replacement may have
parameters of its own (query parameters, headers, other dependencies, generators): it
is then solved through FastAPI's dependency machinery, exactly as a ``Depends`` would
be. Nothing of this runs while no override is set.
"""

from __future__ import annotations

import contextlib
import email.message
import json
import threading
from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant, solve_dependencies
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from pydantic import BaseModel
from pydantic_core import PydanticUndefined as Undefined
from starlette.requests import HTTPConnection, Request
from starlette.websockets import WebSocket

from rescope.exceptions import ConfigurationError

__all__ = ["solve_override"]

_VALUE = "value"
_lock = threading.Lock()
_holders: dict[Callable[..., Any], Dependant] = {}
_bodies: dict[Callable[..., Any], list[Any]] = {}


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


def _body_params(replacement: Callable[..., Any]) -> list[Any]:
    """The body parameters of ``replacement`` and of everything it depends on."""
    found = _bodies.get(replacement)
    if found is None:
        found, names = [], set()
        stack = [get_dependant(path="", call=replacement)]
        while stack:
            dependant = stack.pop()
            for field in dependant.body_params:
                if field.name not in names:
                    names.add(field.name)
                    found.append(field)
            stack.extend(dependant.dependencies)
        _bodies[replacement] = found
    return found


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


async def _body_for(
    replacement: Callable[..., Any] | None,
    connection: HTTPConnection,
    stack: contextlib.AsyncExitStack,
) -> tuple[Any, bool]:
    """The request body a replacement's body parameters are read from, as FastAPI reads it.

    The path operation itself may declare no body (its injected parameters are not
    FastAPI's), so nothing has read it yet; a form is closed with the request.

    Returns:
        The body (``Undefined`` when there is none to read) and whether the body
        parameters are embedded by name, by FastAPI's rule.

    Raises:
        RequestValidationError: When a JSON body does not parse.
    """
    fields = _body_params(replacement) if replacement is not None else []
    if not fields or not isinstance(connection, Request):
        return Undefined, False
    first = fields[0]
    is_form = isinstance(first.field_info, params.Form)
    embed = (
        len(fields) > 1
        or bool(getattr(first.field_info, "embed", False))
        or (is_form and not _is_model(first.field_info.annotation))
    )
    if is_form:
        form = await connection.form()
        stack.push_async_callback(form.close)
        return form, embed
    raw = await connection.body()
    if not raw:
        return Undefined, embed
    message = email.message.Message()
    message["content-type"] = connection.headers.get("content-type", "application/json")
    subtype = message.get_content_subtype()
    if message.get_content_maintype() != "application" or not (
        subtype == "json" or subtype.endswith("+json")
    ):
        return raw, embed
    try:
        return json.loads(raw), embed
    except json.JSONDecodeError as error:
        detail = {"type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error"}
        raise RequestValidationError(
            [{**detail, "input": {}, "ctx": {"error": error.msg}}]
        ) from None


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
    body, embed = await _body_for(app.dependency_overrides.get(dependency), connection, stack)
    solved = await solve_dependencies(
        request=connection,  # type: ignore[arg-type]  # FastAPI passes a Request or WebSocket
        dependant=_holder(dependency),
        body=body,
        async_exit_stack=stack,
        embed_body_fields=embed,
        dependency_overrides_provider=app,
    )
    if solved.errors:
        if isinstance(connection, WebSocket):
            raise WebSocketRequestValidationError(solved.errors)
        raise RequestValidationError(solved.errors)
    return solved.values[_VALUE]
