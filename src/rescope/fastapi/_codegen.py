"""Per-route wrappers generated as specialised code: the injected parameters unrolled.

A path operation with ``Inject[T]`` parameters gets a wrapper whose source is written
for it: it takes the endpoint's other parameters by name, has one statement per injected
parameter and no loop. What it binds is planned again whenever a request meets a new
container state (``container.generation``, which changes when an override starts or
ends and when the container closes):

* values of keys that live in APP scope are bound as constants;
* an HTTP request's REQUEST scope is entered inline (see ``rescope.di._inline``) and
  each other key is resolved by its compiled function, or made with one call when its
  arguments are fixed for the state.

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
from rescope.fastapi._runtime import STATE_KEY, inline_request_entry, state_of

__all__ = ["Slow", "call_overridden", "generate", "plan_app_values"]

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
    _token = _owner = _cls = _shape = _ckeys = None
    _scoped = True
    {const_flags} = {falses}
    {async_flags} = {falses}
    {values} = {nones}
    {makers} = {nones}
    {directs} = {nones}
    {direct_args} = {nones}
    {direct_keys} = {nones}

    async def _plan(_integration, _container):
        nonlocal _token, _owner, _scoped, _cls, _shape, _ckeys, {plan_list}
        _constant, _found = await _plan_app_values(_container, _keys)
        {const_flags} = _constant
        {values} = _found
        _scoped = not all(_constant)
        _entry = _inline_entry(_integration, _container, _keys) if _HTTP else None
        _cls = None
        {makers} = {nones}
        {directs} = {nones}
        if _entry is not None:
            _cls, _shape, _ckeys = _entry.cls, _entry.shape, _entry.context_keys
            {makers} = {maker_lookups}
{plan_directs}        _token = _container.generation
        _owner = _integration

    async def injected({signature}):
        nonlocal {async_list}
{prologue}        _asgi = {connection}.scope
        _state = _asgi.get(_STATE_KEY) or _state_of(_asgi)
        _integration = _state.integration
        if _integration.app.dependency_overrides:
            return await _call_overridden(
                _endpoint, _slow, {kwargs}, {connection}, _integration, _threadpool=_THREADPOOL
            )
        _container = _integration._container
        if _container is None:
            _container = _integration.container  # raises: the app has not started
        if _container.generation != _token or _integration is not _owner:
            await _plan(_integration, _container)
        if _scoped:
            _scope = _state.scope
            if _scope is None and _cls is not None:  # Container.scope(REQUEST), inlined
                _scope = _cls()
                _scope._p = _container
                _scope._s = _shape
                _scope._c = _cache = dict.fromkeys(_ckeys, {connection}) if _ckeys else {{}}
                _scope._fin = None
                _scope._kids = None
                _state.scope = _scope
{resolve_inline}
            else:
                if _scope is None:
                    _scope = _integration.enter_now({connection})
                    if _scope is None:
                        _scope = await _integration.enter({connection})
{resolve}
        else:
{resolve_constant}
        try:
            return {call}
        except Exception as _error:
            _state.error = _error
            raise

    return injected
"""

_RESOLVE_INLINE = """\
                if _c{i}:
                    _r{i} = _v{i}
                elif _d{i} is not None:  # made with one call, its arguments bound
                    _r{i} = _d{i}(*_x{i})
                    if _y{i} is not None:
                        _cache[_y{i}] = _r{i}
                elif _m{i} is not None:
                    _r{i} = _m{i}(_scope)
                else:
                    _r{i} = await _scope.aget(_k{i})
"""

_RESOLVE = """\
                if _c{i}:
                    _r{i} = _v{i}
                elif _a{i}:
                    _r{i} = await _scope.aget(_k{i})
                else:
                    try:
                        _r{i} = _scope.get(_k{i})
                    except AsyncProviderError:
                        _a{i} = True
                        _r{i} = await _scope.aget(_k{i})
"""


def _names(prefix: str, count: int) -> str:
    return ", ".join(f"{prefix}{i}" for i in range(count)) + ("," if count == 1 else "")


async def call_overridden(
    endpoint: Callable[..., Any],
    slow: Slow,
    kwargs: dict[str, Any],
    connection: HTTPConnection,
    integration: Any,
    *,
    _threadpool: bool,
) -> Any:
    """Call ``endpoint`` with its injected parameters solved one by one (overrides set)."""
    await slow(kwargs, connection, integration)
    try:
        if _threadpool:
            return await run_in_threadpool(endpoint, **kwargs)
        return await endpoint(**kwargs)
    except Exception as error:
        state_of(connection.scope).error = error
        raise


def generate(  # noqa: PLR0913 - keyword-only options of one code generator
    endpoint: Callable[..., Any],
    plan: Sequence[tuple[str, object]],
    connection: str,
    *,
    hidden: bool,
    params: Sequence[str] | None,
    http: bool,
    slow: Slow,
) -> Callable[..., Any]:
    """Write and compile the wrapper of ``endpoint`` for its injected parameters.

    Args:
        endpoint: The original path operation function.
        plan: ``(parameter name, type key)`` of each injected parameter, in order.
        connection: The name of the parameter carrying the ``Request`` / ``WebSocket``.
        hidden: Whether that parameter was added by rescope (and is not passed on).
        params: The names of the wrapper's parameters (the connection's included), which
            it then takes one by one; None to take ``**kwargs`` (the endpoint has one,
            or a name that could clash with the wrapper's own).
        http: Whether it serves an HTTP route (a websocket route enters no REQUEST).
        slow: The generic resolution, used while ``app.dependency_overrides`` is set.
    """
    count = len(plan)
    threadpool = not inspect.iscoroutinefunction(endpoint)
    injected_args = ", ".join(f"{name}=_r{i}" for i, (name, _) in enumerate(plan))
    if params is None:
        signature, kwargs, conn = "**kwargs", "kwargs", "_connection"
        take = "pop" if hidden else "__getitem__"
        prologue = f"        _connection = kwargs.{take}({connection!r})\n"
        passed = f"**kwargs, {injected_args}"
    else:
        signature, conn, prologue = ", ".join(params), connection, ""
        own = [name for name in params if not (hidden and name == connection)]
        kwargs = "{" + ", ".join(f"{name!r}: {name}" for name in own) + "}"
        passed = ", ".join([*(f"{name}={name}" for name in own), injected_args])
    if threadpool:
        call = f"await _run_in_threadpool(_endpoint, {passed})"
    else:
        call = f"await _endpoint({passed})"
    source = _TEMPLATE.format(
        key_names=_names("_k", count),
        const_flags=_names("_c", count),
        async_flags=_names("_a", count),
        values=_names("_v", count),
        makers=_names("_m", count),
        async_list=_names("_a", count).rstrip(","),
        plan_list=", ".join(
            _names(prefix, count).rstrip(",") for prefix in ("_c", "_v", "_m", "_d", "_x", "_y")
        ),
        directs=_names("_d", count),
        direct_args=_names("_x", count),
        direct_keys=_names("_y", count),
        plan_directs="".join(
            f"            if _entry.calls[{i}] is not None:\n"
            f"                _d{i} = _entry.calls[{i}].provider\n"
            f"                _x{i} = _entry.calls[{i}].args\n"
            f"                _y{i} = _entry.calls[{i}].cache_key\n"
            for i in range(count)
        ),
        maker_lookups=", ".join(f"_entry.sync.get(_k{i})" for i in range(count))
        + ("," if count == 1 else ""),
        falses="(" + "False, " * count + ")",
        nones="(" + "None, " * count + ")",
        signature=signature,
        prologue=prologue,
        connection=conn,
        kwargs=kwargs,
        resolve_inline="".join(_RESOLVE_INLINE.format(i=i) for i in range(count)),
        resolve="".join(_RESOLVE.format(i=i) for i in range(count)),
        resolve_constant="".join(f"            _r{i} = _v{i}\n" for i in range(count)),
        call=call,
    )
    namespace: dict[str, Any] = {
        "AsyncProviderError": AsyncProviderError,
        "_HTTP": http,
        "_STATE_KEY": STATE_KEY,
        "_THREADPOOL": threadpool,
        "_call_overridden": call_overridden,
        "_inline_entry": inline_request_entry,
        "_state_of": state_of,
        "_plan_app_values": plan_app_values,
        "_run_in_threadpool": run_in_threadpool,
    }
    name = getattr(endpoint, "__qualname__", "endpoint")
    exec(compile(source, f"<rescope route {name}>", "exec"), namespace)  # noqa: S102
    factory: Callable[..., Callable[..., Any]] = namespace["factory"]
    return factory(endpoint, tuple(key for _, key in plan), slow)
