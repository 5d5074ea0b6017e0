"""Entered scopes: ``ScopedContainer`` and the compiled shapes behind them."""

# Scopes, their parents and their container share private state on purpose: it is the
# resolution hot path, and properties would cost a call each.
# ruff: noqa: SLF001

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from types import AsyncGeneratorType, GeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

from rescope.di._codegen import Factory
from rescope.di._env import AsyncExit
from rescope.di._finalize import run_async, run_sync, yielded_twice
from rescope.di._graph import SPECIAL_KEYS, Graph
from rescope.di._lazy import CURRENT
from rescope.di._scope import Scope
from rescope.exceptions import (
    AsyncFinalizerError,
    AsyncProviderError,
    CleanupError,
    ClosedError,
    ContainerError,
    InvalidScopeError,
    ScopeNotActiveError,
    UnexpectedContextError,
    UnknownServiceError,
)

if TYPE_CHECKING:  # only for annotations the container never reads
    from rescope.di._container import Container

__all__ = [
    "ClosedShape",
    "OpenScope",
    "ScopedContainer",
    "Shape",
    "TrackedScope",
    "async_error_for",
    "enter_shape",
    "new_finalizers",
    "register",
]

T = TypeVar("T")
_DONE: Any = object()


class ClosedShape:
    """What a closed scope points at instead of its shape: every use says it is closed."""

    __slots__ = ("af", "children", "closed", "dead", "f", "is_closed", "sa", "scope", "what")

    def __init__(self, scope: Scope, what: str) -> None:
        self.scope = scope
        self.what = what
        self.is_closed = True
        self.dead = False
        self.f: dict[object, Factory] = {}
        self.af: dict[object, Factory] = {}
        self.sa: dict[object, Factory] = {}
        self.children: dict[Scope, Shape] = {}
        self.closed = self

    def missing(self, key: object) -> Exception:
        """The error for resolving anything in a closed scope."""
        del key
        return ClosedError(self.what)


class Shape:
    """A chain of entered scopes, with the functions compiled for it.

    Args:
        graph: The graph its functions were compiled from.
        tops: For each frame, APP first, the shortest-lived scope it covers.
    """

    __slots__ = (
        "af",
        "children",
        "closed",
        "cls",
        "context_keys",
        "dead",
        "f",
        "graph",
        "is_closed",
        "sa",
        "scope",
        "tops",
        "track",
    )

    def __init__(self, graph: Graph, tops: tuple[Scope, ...]) -> None:
        self.tops = tops
        self.scope = tops[-1]
        self.graph = graph
        self.dead = False
        self.is_closed = False
        # plain dicts: subscripting a dict subclass goes through a slower generic path
        self.f: dict[object, Factory] = {}
        self.af: dict[object, Factory] = {}
        self.sa: dict[object, Factory] = {}
        self.cls: type[ScopedContainer] = OpenScope
        self.track = False
        self.children: dict[Scope, Shape] = {}
        self.closed = ClosedShape(
            self.scope, "container" if len(tops) == 1 else f"scope {self.scope}"
        )
        self.context_keys = self.declared_context(graph)

    def missing(self, key: object) -> Exception:
        """The error for a key this shape has no function for: unknown, or shorter-lived."""
        if self.dead:
            return ClosedError("container")
        node = self.graph.by_key.get(key)
        if node is None:
            return UnknownServiceError(key)
        return ScopeNotActiveError(key, scope=node.level, current=self.scope)

    def declared_context(self, graph: Graph) -> frozenset[object]:
        """The context keys that entering this shape's innermost scope may pass."""
        low = self.tops[-2] if len(self.tops) > 1 else None
        levels = [n.scope for n in graph.nodes if (low is None or n.scope > low)]
        return graph.context_keys(s for s in levels if s <= self.scope)

    def checked_context(self, context: Mapping[Any, Any]) -> dict[Any, Any]:
        """A copy of ``context`` after checking that the scope declares every key.

        Raises:
            UnexpectedContextError: For a key no registration declares for this scope.
        """
        for key in context:
            if key not in self.context_keys:
                raise UnexpectedContextError(key, scope=self.scope)
        return dict(context)


def async_error_for(graph: Graph, service: object) -> AsyncProviderError:
    """The error for a sync ``get`` of ``service``, drawn from the requested service."""
    node = graph.by_key[service]
    path = node.async_path()
    return AsyncProviderError(
        service, provider=path[-1].provider.source, path=[service] + [n.key for n in path[1:]]
    )


def enter_shape(parent: Container | ScopedContainer, scope: Scope) -> Shape:
    """The shape entered from ``parent`` into ``scope``, compiled on first use.

    Raises:
        ClosedError: When ``parent`` is closed.
        InvalidScopeError: When ``scope`` is not shorter-lived than ``parent``'s.
    """
    current: Any = parent._s
    if current.is_closed or current.dead:  # a ClosedShape, or a shape of a closed container
        raise ClosedError(current.closed.what)
    if type(scope) is not Scope or scope is Scope.TRANSIENT or scope <= current.scope:
        raise InvalidScopeError(
            f"cannot enter {scope!r} from scope {current.scope}: a scope is entered from a"
            " longer-lived one (APP -> SESSION -> REQUEST -> ACTION), and TRANSIENT is never"
            " entered.",
            hint=f"entering {scope!r} from the container or a longer-lived scope, or enter a"
            f" scope shorter-lived than {current.scope} here.",
        )
    owner: Any = parent
    while isinstance(owner, ScopedContainer):
        owner = owner._p
    return owner._child_shape(current, scope)  # type: ignore[no-any-return]


def register(scope: ScopedContainer) -> None:
    """Record ``scope`` (and its parents) so that closing a parent or the container reaches it.

    A scope entered straight from the container is recorded only once it holds a
    finalizer: until then closing the container only has to make it unusable, which
    marking the compiled shapes dead does. Entering and leaving such a scope touches
    nothing but the scope object.
    """
    node: Any = scope
    while True:
        if node._fin is None:
            node._fin = []  # a non-None list sends __exit__ down the full close path
        parent = node._p
        kids = parent._kids
        if kids is None:
            kids = parent._kids = {}
        elif node in kids:
            return
        kids[node] = None
        if not isinstance(parent, ScopedContainer):
            return
        node = parent


def new_finalizers(scope: ScopedContainer) -> list[Any]:
    """Give ``scope`` its finalizer list and :func:`register` it; return the list."""
    fins: list[Any] = []
    scope._fin = fins
    register(scope)
    return fins


class ScopedContainer:
    """An entered scope: resolves services, caches its scope's values, finalizes them.

    Created by ``Container.scope()`` or ``ScopedContainer.scope()``, already entered; use
    it as a (sync or async) context manager so it closes, or call :meth:`close`. Entering
    a scope more than one level down (REQUEST straight from APP) covers the levels in
    between: their services live and die with this scope.

    A provider that needs the scope its service lives in asks for it by type
    (``scope: ScopedContainer``); ``Container`` gives the container itself.
    """

    __slots__ = ("_c", "_fin", "_kids", "_p", "_s")

    # Set by ``Container.scope`` / ``ScopedContainer.scope``, which create an ``OpenScope``
    # (no ``__init__`` to run) and store these directly: an ``__init__`` call costs a
    # third of entering a scope.
    _p: Container | ScopedContainer
    _s: Shape | ClosedShape
    _c: dict[Any, Any]
    _fin: Any  # None, one finalizer, or a list of them (oldest first)
    _kids: dict[ScopedContainer, None] | None

    def __init__(self) -> None:
        raise ContainerError(
            "a ScopedContainer is made by entering a scope, not by calling the class.",
            hint="`with container.scope(Scope.REQUEST) as scope:`.",
        )

    @property
    def scope_kind(self) -> Scope:
        """The scope this object entered."""
        return self._s.scope

    @property
    def closed(self) -> bool:
        """Whether the scope was closed (or its container was)."""
        shape = self._s
        return shape.is_closed or shape.dead

    @overload
    def get(self, service: type[T], /) -> T: ...
    @overload
    def get(self, service: Any, /) -> Any: ...

    def get(self, service: Any, /) -> Any:
        """Resolve ``service`` in this scope (or a longer-lived one it sits in).

        Args:
            service: The type key.

        Raises:
            UnknownServiceError: When nothing provides it.
            ScopeNotActiveError: When it lives in a scope shorter-lived than this one.
            AsyncProviderError: When creating it needs an ``await``: use :meth:`aget`.
            MissingContextError: When it needs a context value that was not passed.
            ClosedError: When the scope is closed.
        """
        try:
            make = self._s.f[service]
        except KeyError:
            raise self._s.missing(service) from None
        try:
            return make(self)
        except AsyncProviderError:
            shape = self._s
            if shape.is_closed:
                raise
            raise async_error_for(shape.graph, service) from None  # type: ignore[union-attr]

    @overload
    async def aget(self, service: type[T], /) -> T: ...
    @overload
    async def aget(self, service: Any, /) -> Any: ...

    async def aget(self, service: Any, /) -> Any:
        """Resolve ``service``, awaiting async providers: ``await scope.aget(Service)``.

        Concurrent first resolutions of a cached service from many tasks create it once.

        Args:
            service: The type key.

        Raises:
            UnknownServiceError: When nothing provides it.
            ScopeNotActiveError: When it lives in a scope shorter-lived than this one.
            MissingContextError: When it needs a context value that was not passed.
            ClosedError: When the scope is closed.
        """
        shape = self._s
        make = shape.sa.get(service)  # a miss is common here: no exception for it
        if make is not None:  # nothing to await on the way: no second coroutine
            return make(self)
        try:
            resolve: Callable[[Any], Coroutine[Any, Any, Any]] = shape.af[service]
        except KeyError:
            raise shape.missing(service) from None
        return await resolve(self)

    def scope(
        self, scope: Scope, /, *, context: Mapping[Any, Any] | None = None
    ) -> ScopedContainer:
        """Enter a shorter-lived scope from this one.

        Args:
            scope: The scope to enter.
            context: Context values by type key, declared with ``registry.context``.

        Raises:
            InvalidScopeError: When ``scope`` is not shorter-lived than this one.
            UnexpectedContextError: When ``context`` has a key the scope does not declare.
            ClosedError: When this scope is closed.
        """
        try:
            shape = self._s.children[scope]
        except KeyError:
            shape = enter_shape(self, scope)
        cls = shape.cls
        child = cls()
        child._p = self
        child._s = shape
        child._c = shape.checked_context(context) if context else {}
        child._fin = None
        child._kids = None
        register(child)
        if shape.track:
            CURRENT.set(child)
        return child

    def _detach(self) -> None:
        self._s = self._s.closed
        kids = self._p._kids
        if kids:
            kids.pop(self, None)

    def _finalizers(self) -> list[Any]:
        """The finalizers as a list (a scope keeps a single one without a list)."""
        fins = self._fin
        if fins is None:
            return []
        if type(fins) is not list:
            fins = self._fin = [fins]
        return fins

    def _open_kids(self) -> list[ScopedContainer]:
        kids = self._kids
        return list(reversed(kids)) if kids else []

    def close(self, exc: BaseException | None = None) -> None:
        """Close the scope: close scopes entered from it, then run its finalizers.

        Finalizers run newest first; each runs even when an earlier one failed. Closing
        twice does nothing.

        Args:
            exc: The exception the scope ends with, thrown into generator providers so
                they can roll back.

        Raises:
            AsyncFinalizerError: When it holds async finalizers (nothing is closed).
            CleanupError: After every finalizer ran, when some of them failed.
        """
        shape = self._s
        if shape.is_closed:
            return
        errors = self._close_kids(exc) if self._kids else []
        fins = self._finalizers()
        if fins:
            for fin in fins:
                if type(fin) is AsyncGeneratorType or type(fin) is AsyncExit:
                    raise AsyncFinalizerError(shape.scope)
        self._s = shape.closed
        kids = self._p._kids
        if kids:
            kids.pop(self, None)
        if fins:
            errors += run_sync(fins, exc)
        if errors:
            raise CleanupError(f"closing scope {shape.scope}", errors)

    def _close_kids(self, exc: BaseException | None) -> list[Exception]:
        errors: list[Exception] = []
        for kid in self._open_kids():
            try:
                kid.close(exc)
            except CleanupError as group:
                errors.extend(group.exceptions)
        return errors

    async def aclose(self, exc: BaseException | None = None) -> None:
        """Close the scope, awaiting async finalizers; see :meth:`close`.

        Args:
            exc: The exception the scope ends with, thrown into generator providers.

        Raises:
            CleanupError: After every finalizer ran, when some of them failed.
        """
        if self._s.is_closed:
            return
        errors: list[Exception] = []
        for kid in self._open_kids():
            try:
                await kid.aclose(exc)
            except CleanupError as group:
                errors.extend(group.exceptions)
        self._detach()
        fins = self._finalizers()
        if fins:
            errors += await run_async(fins, exc)
        if errors:
            raise CleanupError(f"closing scope {self._s.scope}", errors)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        gen = self._fin
        if gen is None:
            self._s = self._s.closed
        elif exc is None and type(gen) is GeneratorType and not self._kids:
            # the common case, inlined: one generator provider and nothing else to close (a
            # closed scope keeps its finalizers in a list, so this one is open)
            shape = self._s
            self._s = shape.closed
            self._fin = None
            del self._p._kids[self]  # type: ignore[union-attr]
            try:
                # a for loop resumes the generator without a call to next() and ends
                # without a StopIteration object; its body runs only for a second yield
                for _ in gen:
                    gen.close()
                    error: Exception = yielded_twice(gen)
                    break
                else:
                    return
            except Exception as raised:  # noqa: BLE001 - reported as a CleanupError
                error = raised
            raise CleanupError(f"closing scope {shape.scope}", [error])
        else:
            self.close(exc)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        gen = self._fin
        if gen is None:
            self._s = self._s.closed
        elif exc is None and type(gen) is AsyncGeneratorType and not self._kids:
            # the common case, inlined: one async generator provider and nothing else
            shape = self._s
            self._s = shape.closed
            self._fin = None
            del self._p._kids[self]  # type: ignore[union-attr]
            try:
                if await anext(gen, _DONE) is _DONE:
                    return
                await gen.aclose()
                error: Exception = yielded_twice(gen)
            except Exception as raised:  # noqa: BLE001 - reported as a CleanupError
                error = raised
            raise CleanupError(f"closing scope {shape.scope}", [error])
        else:
            await self.aclose(exc)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<ScopedContainer {self._s.scope} {state}>"


class OpenScope(ScopedContainer):
    """The class entered scopes are made of: no ``__init__`` runs when one is created."""

    __slots__ = ()
    __init__ = object.__init__


class TrackedScope(OpenScope):
    """An entered scope that is the current one for lazies until it closes.

    Used only by containers in which a lazy resolves from the current scope.
    """

    __slots__ = ()

    def _untrack(self) -> None:
        if CURRENT.get() is self:
            parent = self._p
            CURRENT.set(parent if isinstance(parent, ScopedContainer) else None)

    def close(self, exc: BaseException | None = None) -> None:
        """Close the scope; see :meth:`ScopedContainer.close`."""
        self._untrack()
        super().close(exc)

    async def aclose(self, exc: BaseException | None = None) -> None:
        """Close the scope, awaiting async finalizers; see :meth:`ScopedContainer.aclose`."""
        self._untrack()
        await super().aclose(exc)

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._untrack()
        super().__exit__(et, exc, tb)

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._untrack()
        await super().__aexit__(et, exc, tb)


SPECIAL_KEYS[ScopedContainer] = "scope"
