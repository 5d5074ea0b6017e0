"""``Inject[T]`` and ``from_container(T)``: container services as FastAPI dependencies."""

from __future__ import annotations

import inspect
import threading
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends
from fastapi.params import Depends as DependsParam
from starlette.requests import HTTPConnection

from rescope.exceptions import AsyncProviderError, _qualified_name
from rescope.fastapi._runtime import state_of

__all__ = ["Inject", "dependency_for", "from_container", "injected_key"]

T = TypeVar("T")

_lock = threading.Lock()
_dependencies: dict[object, Any] = {}
_keys: dict[Any, object] = {}


def _make_dependency(key: object) -> Any:
    is_async = False

    async def dependency(connection: HTTPConnection) -> Any:
        nonlocal is_async
        state = state_of(connection.scope)
        scope = state.scope
        if scope is None:
            integration = state.integration
            scope = integration.enter_now(connection) or await integration.enter(connection)
        if not is_async:
            try:
                return scope.get(key)
            except AsyncProviderError:
                is_async = True
        return await scope.aget(key)

    name = _qualified_name(key).rsplit(".", 1)[-1]
    dependency.__name__ = dependency.__qualname__ = f"inject_{name}"
    dependency.__doc__ = f"Resolve `{_qualified_name(key)}` from the connection's scope."
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("connection", inspect.Parameter.KEYWORD_ONLY, annotation=HTTPConnection)]
    )
    return dependency


def dependency_for(service: object) -> Any:
    """The one dependency callable that resolves ``service``: the key for overrides.

    ``Inject[T]`` and ``from_container(T)`` always use this callable for ``T``, so
    ``app.dependency_overrides[dependency_for(T)] = lambda: fake`` replaces ``T``.

    Args:
        service: The type key.
    """
    dependency = _dependencies.get(service)
    if dependency is None:
        with _lock:
            dependency = _dependencies.get(service)
            if dependency is None:
                dependency = _dependencies[service] = _make_dependency(service)
                _keys[dependency] = service
    return dependency


def injected_key(marker: object) -> tuple[bool, object]:
    """Whether ``marker`` (a ``Depends``) injects a container service, and which one."""
    if isinstance(marker, DependsParam):
        key = _keys.get(marker.dependency, _keys)
        if key is not _keys:
            return True, key
    return False, None


def from_container(service: type[T] | Any, /) -> Any:
    """A ``Depends`` marker resolving ``service`` from the container, in the connection's scope.

    Use it as a default (``auth: AuthService = from_container(AuthService)``), in
    ``dependencies=[...]`` or inside ``Annotated``; ``Inject[T]`` is the short form.

    Args:
        service: The type key to resolve.
    """
    return Depends(dependency_for(service))


if TYPE_CHECKING:
    Inject = Annotated[T, ...]
else:

    class Inject:
        """``Inject[T]``: ``Annotated[T, Depends(...)]`` resolving ``T`` from the container.

        ``T`` is resolved in the scope of the connection: REQUEST for HTTP requests (entered
        once per request, closed after the response is sent), its CONNECTION scope for a
        websocket. In path operations ``setup`` resolves it without FastAPI's dependency
        solver; in other dependencies it is an ordinary async dependency.
        """

        __slots__ = ()

        def __class_getitem__(cls, service: object) -> Any:
            return Annotated[service, from_container(service)]
