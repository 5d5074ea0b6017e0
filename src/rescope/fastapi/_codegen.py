"""Per-route wrappers generated as specialised code: the injected parameters unrolled.

A path operation with ``Inject[T]`` parameters gets a wrapper whose source is written
for it: one statement per injected parameter, no loop, no zip. Values of keys that live
in APP scope are bound as constants the first time a request meets a container state
(the ``container.get`` in force, which changes whenever an override starts or ends and
when the container closes); every other key is resolved from the connection's scope.
``app.dependency_overrides`` for an injected type sends the request to the generic path.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from rescope.di import Container, Scope
from rescope.exceptions import AsyncProviderError
from rescope.fastapi._graph import state_token
from rescope.fastapi._runtime import ERROR_KEY, SCOPE_KEY, STATE_KEY, integration_of

__all__ = ["Slow", "generate", "plan_app_values"]

Slow = Callable[[dict[str, Any], HTTPConnection, Any], Awaitable[None]]
"""The generic resolution: ``await slow(kwargs, connection, integration)``."""


async def plan_app_values(
    container: Container, keys: Sequence[object]
) -> tuple[tuple[bool, ...], tuple[Any, ...]]:
    """Which of ``keys`` are one value for the container's life, and those values.

    A key qualifies when it lives in APP scope and resolving it twice gives the same
    object: an APP singleton, a ready value or an APP context value, not a transient.

    Args:
        container: The container serving the app.
        keys: The injected type keys, in parameter order.
    """
    graph = container.graph()
    constant: list[bool] = []
    values: list[Any] = []
    for key in keys:
        value: Any = None
        fixed = False
        if graph.scope_of(key) is Scope.APP:
            try:
                value = container.get(key)
            except AsyncProviderError:
                value = await container.aget(key)
            fixed = container.get(key) is value
        constant.append(fixed)
        values.append(value if fixed else None)
    return tuple(constant), tuple(values)


_TEMPLATE = """
def factory(_endpoint, _keys, _slow):
    {key_names} = _keys
    _token = None
    _scoped = True
    {const_flags} = {falses}
    {async_flags} = {falses}
    {values} = {nones}

    async def _plan(_container):
        nonlocal _token, _scoped, {const_list}, {value_list}
        _constant, _found = await _plan_app_values(_container, _keys)
        {const_flags} = _constant
        {values} = _found
        _scoped = not all(_constant)
        _token = _state_token(_container)

    async def injected(**kwargs):
        nonlocal {async_list}
        _connection = {take_connection}
        _asgi = _connection.scope
        _integration = _asgi.get(_STATE_KEY) or _integration_of(_asgi)
        if _integration.app.dependency_overrides:
            await _slow(kwargs, _connection, _integration)
        else:
            _container = _integration.container
            if _container.generation != _token:  # state_token(), inlined
                await _plan(_container)
            if _scoped:
                _scope = _asgi.get(_SCOPE_KEY)
                if _scope is None:
                    _scope = _integration.enter_now(_connection)
                    if _scope is None:
                        _scope = await _integration.enter(_connection)
{resolve}
        try:
            return {call}
        except Exception as _error:
            _asgi[_ERROR_KEY] = _error
            raise

    return injected
"""

_RESOLVE = """\
            if _c{i}:
                kwargs[{name!r}] = _v{i}
            elif _a{i}:
                kwargs[{name!r}] = await _scope.aget(_k{i})
            else:
                try:
                    kwargs[{name!r}] = _scope.get(_k{i})
                except AsyncProviderError:
                    _a{i} = True
                    kwargs[{name!r}] = await _scope.aget(_k{i})
"""


def _names(prefix: str, count: int) -> str:
    return ", ".join(f"{prefix}{i}" for i in range(count)) + ("," if count == 1 else "")


def generate(
    endpoint: Callable[..., Any],
    plan: Sequence[tuple[str, object]],
    connection: str,
    *,
    hidden: bool,
    slow: Slow,
) -> Callable[..., Any]:
    """Write and compile the wrapper of ``endpoint`` for its injected parameters.

    Args:
        endpoint: The original path operation function.
        plan: ``(parameter name, type key)`` of each injected parameter, in order.
        connection: The name of the parameter carrying the ``Request`` / ``WebSocket``.
        hidden: Whether that parameter was added by rescope (and is not passed on).
        slow: The generic resolution, used while ``app.dependency_overrides`` is set.
    """
    count = len(plan)
    if inspect.iscoroutinefunction(endpoint):
        call = "await _endpoint(**kwargs)"
    else:
        call = "await _run_in_threadpool(_endpoint, **kwargs)"
    source = _TEMPLATE.format(
        key_names=_names("_k", count),
        const_flags=_names("_c", count),
        async_flags=_names("_a", count),
        values=_names("_v", count),
        const_list=_names("_c", count).rstrip(","),
        async_list=_names("_a", count).rstrip(","),
        value_list=_names("_v", count).rstrip(","),
        falses="(" + "False, " * count + ")",
        nones="(" + "None, " * count + ")",
        take_connection=f"kwargs.pop({connection!r})" if hidden else f"kwargs[{connection!r}]",
        resolve="".join(_RESOLVE.format(i=i, name=name) for i, (name, _) in enumerate(plan)),
        call=call,
    )
    namespace: dict[str, Any] = {
        "AsyncProviderError": AsyncProviderError,
        "_ERROR_KEY": ERROR_KEY,
        "_SCOPE_KEY": SCOPE_KEY,
        "_STATE_KEY": STATE_KEY,
        "_integration_of": integration_of,
        "_plan_app_values": plan_app_values,
        "_run_in_threadpool": run_in_threadpool,
        "_state_token": state_token,
    }
    name = getattr(endpoint, "__qualname__", "endpoint")
    exec(compile(source, f"<rescope route {name}>", "exec"), namespace)  # noqa: S102
    factory: Callable[..., Callable[..., Any]] = namespace["factory"]
    return factory(endpoint, tuple(key for _, key in plan), slow)
