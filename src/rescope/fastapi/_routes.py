"""Take injected parameters of path operations away from FastAPI's dependency solver.

``setup`` rewrites every path operation that has ``Inject[T]`` parameters: the endpoint
FastAPI sees has those parameters removed (so they never reach the solver or the OpenAPI
schema) and takes the connection instead; the wrapper, generated for the route (see
``_codegen``), resolves them from the connection's scope and calls the original
endpoint. Sync endpoints still run in the threadpool, but their services are resolved
on the event loop, before the hop.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, routing
from starlette.requests import HTTPConnection, Request
from starlette.routing import BaseRoute, Mount
from starlette.websockets import WebSocket

from rescope.di import ScopedContainer
from rescope.exceptions import AsyncProviderError
from rescope.fastapi._codegen import Slow, generate
from rescope.fastapi._inject import dependency_for, injected_key
from rescope.fastapi._overrides import solve_override
from rescope.fastapi._runtime import state_of

__all__ = ["Injection", "inject_routes"]

_CONNECTION = "__rescope_connection"
_REWRITTEN = "__rescope_injections__"
_CONNECTION_TYPES = (Request, WebSocket, HTTPConnection)
_ROUTE_CACHES = ("_effective_candidates_version", "_effective_low_priority_routes_version")


@dataclass(frozen=True, slots=True)
class Injection:
    """One injected parameter of a path operation: its name and the type key it resolves."""

    endpoint: Callable[..., Any]
    name: str
    key: object


def _injections(endpoint: Callable[..., Any]) -> tuple[inspect.Signature, dict[str, Any]] | None:
    try:
        signature = inspect.signature(endpoint)
        hints = typing.get_type_hints(endpoint, include_extras=True)
    except (NameError, TypeError, ValueError):
        return None  # FastAPI's own solver still serves such an endpoint
    return signature, hints


def _key_of(annotation: Any, default: Any) -> tuple[bool, object]:
    found, key = injected_key(default)
    if found:
        return found, key
    if typing.get_origin(annotation) is typing.Annotated:
        for marker in reversed(annotation.__metadata__):
            found, key = injected_key(marker)
            if found:
                return found, key
            if type(marker).__module__.startswith("fastapi"):
                break  # FastAPI uses the last of its markers; ours is not it
    return False, None


_PLAIN_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _wrapper_params(params: list[inspect.Parameter], connection: str) -> list[str] | None:
    """The names the wrapper takes one by one, or None when it must take ``**kwargs``.

    FastAPI passes every parameter by keyword; a wrapper naming them is cheaper than one
    collecting a dict. It cannot when the endpoint takes ``*args``/``**kwargs`` or a name
    that could clash with the wrapper's own (they all start with ``_``).
    """
    for param in params:
        if param.kind not in _PLAIN_KINDS:
            return None
        if param.name.startswith("_") and param.name != connection:
            return None
    return [param.name for param in params]


def rewrite(endpoint: Callable[..., Any], *, http: bool = True) -> Callable[..., Any] | None:
    """Return ``endpoint`` with its injected parameters resolved by rescope, or None.

    Args:
        endpoint: The path operation function.
        http: Whether it serves HTTP requests (False: a websocket route).
    """
    if getattr(endpoint, _REWRITTEN, None) is not None:
        return None
    found = _injections(endpoint)
    if found is None:
        return None
    signature, hints = found
    params: list[inspect.Parameter] = []
    plan: list[tuple[str, object, Any]] = []
    connection: str | None = None
    for param in signature.parameters.values():
        annotation = hints.get(param.name, param.annotation)
        is_injected, key = _key_of(annotation, param.default)
        if is_injected:
            plan.append((param.name, key, dependency_for(key)))
            continue
        if isinstance(annotation, type) and issubclass(annotation, _CONNECTION_TYPES):
            connection = param.name
        params.append(param.replace(annotation=annotation))
    if not plan:
        return None
    hidden = connection is None
    if connection is None:
        extra = inspect.Parameter(
            _CONNECTION, inspect.Parameter.KEYWORD_ONLY, annotation=HTTPConnection
        )
        last = params[-1] if params else None
        if last is not None and last.kind is inspect.Parameter.VAR_KEYWORD:
            params.insert(len(params) - 1, extra)
        else:
            params.append(extra)
        connection = _CONNECTION
    wrapper = generate(
        endpoint,
        [(name, key) for name, key, _ in plan],
        connection,
        hidden=hidden,
        params=_wrapper_params(params, connection),
        http=http,
        slow=_generic(tuple(plan)),
    )
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=params, return_annotation=hints.get("return", signature.return_annotation)
    )
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(wrapper, attribute, getattr(endpoint, attribute, None))
    setattr(
        wrapper,
        _REWRITTEN,
        tuple(Injection(endpoint, name, key) for name, key, _ in plan),
    )
    return wrapper


def _generic(plan: tuple[tuple[str, object, Any], ...]) -> Slow:
    """Resolve ``plan`` one parameter at a time, honouring ``app.dependency_overrides``."""
    async_keys: set[object] = set()

    async def resolve(kwargs: dict[str, Any], connection: HTTPConnection, integration: Any) -> None:
        app = integration.app
        overrides = app.dependency_overrides
        scope: ScopedContainer | None = state_of(connection.scope).scope
        for name, key, dependency in plan:
            if dependency in overrides:
                kwargs[name] = await solve_override(dependency, connection, app)
                continue
            if scope is None:
                scope = integration.enter_now(connection) or await integration.enter(connection)
            if key not in async_keys:
                try:
                    kwargs[name] = scope.get(key)
                    continue
                except AsyncProviderError:
                    async_keys.add(key)
            kwargs[name] = await scope.aget(key)

    return resolve


def _children(route: BaseRoute) -> Iterable[BaseRoute]:
    original = getattr(route, "original_router", None)  # FastAPI's included routers
    if original is not None:
        for attribute in (
            "_effective_candidates_version",
            "_effective_low_priority_routes_version",
        ):
            if hasattr(route, attribute):
                setattr(route, attribute, None)  # rebuild from the rewritten endpoints
        return list(original.routes)
    if isinstance(route, Mount):
        app: Any = route.app
        while app is not None and not hasattr(app, "routes"):
            app = getattr(app, "app", None)  # through a sub-application's middleware
        if app is not None and own_integration(app) is None:
            if isinstance(app, FastAPI):
                app.openapi_schema = None
            return list(app.routes)
    return []


def own_integration(app: Any) -> Any:
    """The integration of a mounted app that was set up with rescope itself, or None."""
    state = getattr(app, "state", None)
    return getattr(state, "rescope", None) if isinstance(app, FastAPI) else None


def mounted_integrations(routes: Iterable[BaseRoute]) -> list[Any]:
    """The integrations of mounted apps under ``routes`` that have their own ``setup``."""
    found: list[Any] = []
    stack = list(routes)
    while stack:
        route = stack.pop()
        if isinstance(route, Mount):
            app: Any = route.app
            while app is not None and not hasattr(app, "routes"):
                app = getattr(app, "app", None)
            integration = own_integration(app)
            if integration is not None:
                found.append(integration)
                continue
        if not isinstance(route, routing.APIRoute | routing.APIWebSocketRoute):
            stack.extend(_children(route))
    return found


def inject_routes(routes: Iterable[BaseRoute]) -> list[Injection]:
    """Rewrite every path operation under ``routes``; return all injected parameters.

    Walks included routers and mounted sub-applications. Rewriting twice is a no-op.
    """
    found: list[Injection] = []
    stack = list(routes)
    while stack:
        route = stack.pop()
        if isinstance(route, routing.APIRoute | routing.APIWebSocketRoute):
            _rewrite_route(route)
            found.extend(getattr(route.endpoint, _REWRITTEN, ()))
        else:
            stack.extend(_children(route))
    return found


def _rewrite_route(route: routing.APIRoute | routing.APIWebSocketRoute) -> None:
    wrapper = rewrite(route.endpoint, http=isinstance(route, routing.APIRoute))
    if wrapper is None:
        return
    route.endpoint = wrapper
    dependant = route.dependant
    names = {injection.name for injection in getattr(wrapper, _REWRITTEN)}
    dependant.dependencies = [d for d in dependant.dependencies if d.name not in names]
    if dependant.request_param_name is None and dependant.websocket_param_name is None:
        dependant.http_connection_param_name = dependant.http_connection_param_name or _CONNECTION
    dependant.call = wrapper
    if isinstance(route, routing.APIRoute):
        # the handler decided sync or async from the old endpoint: build it again
        app = routing.request_response(route.get_route_handler())
        limit = getattr(routing, "wrap_app_with_body_limit", None)
        route.app = app if limit is None else limit(app, getattr(route, "max_body_size", None))
