"""Lazy injection: a callable that resolves a service when it is called, not when injected.

A parameter annotated ``Lazy[T]`` (or ``Callable[[], T]`` when that key is not registered
itself) receives a :class:`Lazy`. When ``T`` lives at least as long as the service that
asks for it, the lazy resolves ``T`` from that service's own scope. When ``T`` is
shorter-lived (an app-scoped service that needs the current request's session), it
resolves ``T`` from the scope that is *current* when it is called: the innermost scope
entered in the calling task or thread. Only containers that have such a lazy keep track
of the current scope, so the others pay nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, TypeVar, get_args, get_origin

from rescope.exceptions import _qualified_name

if TYPE_CHECKING:  # only for annotations the container never reads
    from rescope.di._container import Container
    from rescope.di._scoped import ScopedContainer

__all__ = ["CURRENT", "AmbientLazy", "Lazy", "lazy_target"]

T = TypeVar("T")

_CALLABLE_ARGS = 2  # Callable[[], T] has the parameter list and the return type

CURRENT: ContextVar[Any] = ContextVar("rescope.di.current_scope", default=None)
"""The innermost scope entered in this context (tracked only by containers that need it)."""


class Lazy(Generic[T]):
    """A deferred resolution of ``T``: call it (or ``await lazy.aget()``) to get the value.

    Ask for one by annotating a parameter ``Lazy[T]``; the container injects it. Each call
    resolves ``T`` again, so a scoped ``T`` comes from its scope's cache and a transient
    ``T`` is made anew. Use it to break a captive dependency (an app-scoped service that
    needs a request-scoped one) or to create an expensive service only when it is used.

    Lazies are made by the container; they are not constructed by hand.
    """

    __slots__ = ("_key", "_source")

    def __init__(self, source: Container | ScopedContainer, key: object) -> None:
        self._source = source
        self._key = key

    @property
    def service(self) -> object:
        """The type key this lazy resolves."""
        return self._key

    def __call__(self) -> T:
        """Resolve the service now (sync providers only).

        Raises:
            AsyncProviderError: When creating it needs an ``await``: use :meth:`aget`.
            ClosedError: When the scope it resolves from is closed.
        """
        value: T = self._source.get(self._key)
        return value

    def aget(self) -> Coroutine[Any, Any, T]:
        """Resolve the service now, awaiting async providers: ``await lazy.aget()``.

        Raises:
            ClosedError: When the scope it resolves from is closed.
        """
        return self._source.aget(self._key)

    def __repr__(self) -> str:
        return f"<Lazy {_qualified_name(self._key)}>"


class AmbientLazy(Lazy[T]):
    """A lazy that resolves from the scope current when it is called (a shorter-lived ``T``).

    Outside every scope of its container it resolves from the container, which raises
    ``ScopeNotActiveError`` naming the scope to enter.
    """

    __slots__ = ()

    def _current(self) -> Container | ScopedContainer:
        """The innermost open scope of this lazy's container current here, or the container."""
        scope = CURRENT.get()
        while scope is not None and hasattr(scope, "_p") and scope.closed:
            scope = scope._p  # noqa: SLF001 - a scope closed in another context: its parent
        node = scope
        while node is not None and hasattr(node, "_p"):
            node = node._p  # noqa: SLF001 - walking up to the scope's container
        return scope if node is self._source else self._source

    def __call__(self) -> T:
        """Resolve the service from the current scope (sync providers only).

        Raises:
            ScopeNotActiveError: When no scope of the service's kind is entered here.
            AsyncProviderError: When creating it needs an ``await``: use :meth:`aget`.
        """
        value: T = self._current().get(self._key)
        return value

    def aget(self) -> Coroutine[Any, Any, T]:
        """Resolve the service from the current scope, awaiting async providers.

        Raises:
            ScopeNotActiveError: When no scope of the service's kind is entered here.
        """
        return self._current().aget(self._key)


def lazy_target(annotation: object) -> object | None:
    """The key a ``Lazy[T]`` or ``Callable[[], T]`` annotation defers, or None for others."""
    origin = get_origin(annotation)
    args: tuple[object, ...] = get_args(annotation)
    if origin is Lazy and len(args) == 1:
        return args[0]
    if origin is Callable and len(args) == _CALLABLE_ARGS and args[0] == []:
        return args[1]
    return None
