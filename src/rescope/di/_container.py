"""The Container: built from registries, validated at once, resolves in APP scope."""

# The container builds its scopes and sets their state directly: the hot path.

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, overload

from rescope.di._codegen import Factory, compile_shape
from rescope.di._env import Env
from rescope.di._export import DependencyGraph
from rescope.di._finalize import has_async, run_async, run_sync
from rescope.di._graph import SPECIAL_KEYS, Graph, merge_providers
from rescope.di._lazy import CURRENT
from rescope.di._override import Override, OverrideKey
from rescope.di._providers import Kind, Provider, make_provider, value_provider
from rescope.di._registry import Registry
from rescope.di._scope import Scope
from rescope.di._scoped import (
    ClosedShape,
    OpenScope,
    ScopedContainer,
    Shape,
    TrackedScope,
    async_error_for,
    enter_shape,
    new_finalizers,
)
from rescope.exceptions import (
    AsyncFinalizerError,
    AsyncProviderError,
    CleanupError,
    ClosedError,
    ContainerError,
    _qualified_name,
)

__all__ = ["Container", "Resolve"]

T = TypeVar("T")
_MISSING: Any = object()
# One sequence for every container of the process, so no two states share a generation.
_GENERATIONS = itertools.count(1)


class Resolve(Protocol):
    """The type of ``Container.get``: resolve a type key to its value."""

    @overload
    def __call__(self, service: type[T], /) -> T: ...
    @overload
    def __call__(self, service: Any, /) -> Any: ...


class _AppCache(dict[Any, Any]):
    """APP values by requested key, for ``Container.get`` (its ``__getitem__``).

    A miss creates the value, or finds it in the APP cache the generated code fills (a
    plain dict: subscripting a dict subclass from generated code would be slower).
    Emptied whenever the graph changes (overrides) or the container closes.
    """

    __slots__ = ("miss",)

    def __init__(self, miss: Callable[[Any], Any]) -> None:
        super().__init__()
        self.miss = miss

    def __missing__(self, key: Any) -> Any:
        return self.miss(key)


class Container:
    """The APP scope: built from registries, validated when built, resolves services.

    ``get`` is the APP cache's own lookup once a value exists, so resolving an app
    singleton costs about one dict lookup. Enter shorter-lived scopes with :meth:`scope`.

    Args:
        *registries: The registries to build from, in order; a later registration replaces
            an earlier one of the same key only with ``override=True``.
        context: Values for keys declared with ``registry.context(T, scope=Scope.APP)``.

    Raises:
        GraphValidationError: A subclass naming the problem, when the graph is invalid.
        DuplicateRegistrationError: When two registries provide a key without override.
    """

    get: Resolve
    """Resolve a service in APP scope: ``container.get(Service)``.

    Raises UnknownServiceError when nothing provides it, ScopeNotActiveError when it lives
    in a shorter-lived scope, AsyncProviderError when creating it needs an ``await`` (use
    ``aget``), and ClosedError after the container was closed.
    """

    generation: int
    """A number that changes whenever what the container resolves may change: when an
    override starts or ends and when the container closes. Unique across the containers of
    the process, so an integration may keep resolved APP values while it stays the same.
    """

    def __init__(self, *registries: Registry, context: Mapping[Any, Any] | None = None) -> None:
        self._by_key: dict[object, Provider] = merge_providers(p for r in registries for p in r)
        graph = Graph(self._by_key)
        self._lock = threading.RLock()
        self._cache: dict[Any, Any] = {}
        self._memo = _AppCache(self._miss)
        self._memoizable: set[object] = set()
        self._fin: list[Any] = []
        self._kids: dict[ScopedContainer, None] = {}
        self._closed = False
        self._env = Env(graph, self._cache, self._fin, self._lock, self)
        self._builders: dict[object, Factory] = {}
        self._shapes: list[Shape] = []
        self._overrides: list[Override] = []
        self._remap: dict[object, object] = {}
        self._root = self._new_shape((Scope.APP,))
        self._s: Shape | ClosedShape = self._root
        if context:
            self._cache.update(self._root.checked_context(context))
        self._settle_env()
        self.get = self._memo.__getitem__
        self.generation = next(_GENERATIONS)

    # --- resolution ---------------------------------------------------------------------

    def _new_shape(self, tops: tuple[Scope, ...]) -> Shape:
        shape = Shape(self._env.graph, tops)
        self._compile(shape)
        self._shapes.append(shape)
        return shape

    def _compile(self, shape: Shape) -> None:
        compiled = compile_shape(self._env, shape.tops, new_finalizers, self._kids)
        graph = self._env.graph
        shape.graph = graph
        shape.context_keys = shape.declared_context(graph)
        shape.f.clear()
        shape.f.update(compiled.sync)
        shape.af.clear()
        shape.af.update(compiled.asynchronous)
        shape.sa.clear()
        shape.sa.update(compiled.sync_only)
        shape.track = graph.ambient
        shape.cls = TrackedScope if graph.ambient else OpenScope
        if len(shape.tops) == 1:
            self._builders = compiled.by_cache_key

    def _settle_env(self) -> None:
        """Cache ready values and note which keys ``get`` may remember (a new env)."""
        env = self._env
        self._memo.clear()
        self._memoizable = set()
        for node in env.graph.nodes:
            if node.provider.kind is Kind.VALUE:
                self._cache[env.cache_key(node)] = node.provider.source
            elif not node.is_cached:
                continue
            self._memoizable.add(env.cache_key(node))
            self._memoizable.update(node.keys)

    def _child_shape(self, parent: Shape, scope: Scope) -> Shape:
        with self._lock:
            shape = parent.children.get(scope)
            if shape is None:
                shape = parent.children[scope] = self._new_shape((*parent.tops, scope))
            return shape

    def _miss(self, key: Any) -> Any:
        """Create an APP value on a cache miss (or explain why it cannot be)."""
        if self._closed:
            raise ClosedError("container")
        build = self._builders.get(key)
        if build is not None:
            value = build(None)
        else:
            try:
                build = self._root.f[key]
            except KeyError:
                raise self._root.missing(key) from None
            try:
                value = build(None)
            except AsyncProviderError:
                raise async_error_for(self._env.graph, key) from None
        if key in self._memoizable:
            self._memo[key] = value
        return value

    def _get_remapped(self, service: Any, /) -> Any:
        return self._memo[self._remap.get(service, service)]

    @overload
    def aget(self, service: type[T], /) -> Coroutine[Any, Any, T]: ...
    @overload
    def aget(self, service: Any, /) -> Coroutine[Any, Any, Any]: ...

    def aget(self, service: Any, /) -> Coroutine[Any, Any, Any]:
        """Resolve ``service`` in APP scope, awaiting async providers.

        Concurrent first resolutions from many tasks create the value once.

        Args:
            service: The type key.

        Raises:
            UnknownServiceError: When nothing provides it.
            ScopeNotActiveError: When it lives in a shorter-lived scope.
            ClosedError: When the container is closed.
        """
        if self._closed:
            raise ClosedError("container")
        try:
            resolve: Callable[[Any], Coroutine[Any, Any, Any]] = self._root.af[service]
        except KeyError:
            raise self._root.missing(service) from None
        return resolve(None)

    def scope(self, scope: Scope, /, context: Mapping[Any, Any] | None = None) -> ScopedContainer:
        """Enter a scope: ``with container.scope(Scope.REQUEST, context={...}) as scope:``.

        The scope is entered when this returns; the ``with`` (or ``async with``) block
        closes it. Entering REQUEST straight from APP covers SESSION too: SESSION services
        resolved in it live and die with it.

        Args:
            scope: The scope to enter (SESSION, REQUEST, ACTION or a custom scope).
            context: Context values by type key, declared with ``registry.context``.

        Raises:
            InvalidScopeError: For APP or TRANSIENT.
            UnexpectedContextError: When ``context`` has a key the scope does not declare.
            ClosedError: When the container is closed.
        """
        try:
            shape = self._s.children[scope]
        except KeyError:
            shape = enter_shape(self, scope)
        cls = shape.cls  # an attribute load, then a call: LOAD_METHOD would not specialize
        child = cls()
        child._p = self
        child._s = shape
        child._c = shape.checked_context(context) if context else {}
        child._fin = None
        child._kids = None
        if shape.track:
            CURRENT.set(child)
        return child

    # --- overrides ----------------------------------------------------------------------

    def override(
        self,
        target: object,
        value: object = _MISSING,
        /,
        *,
        factory: Callable[..., Any] | None = None,
        scope: Scope | None = None,
        enter: bool = False,
    ) -> Override:
        """Replace a service while a ``with`` block runs (for tests).

        ``container.override(Service, fake)`` serves ``fake``; ``factory=`` registers a
        class or function instead (in ``scope``, by default the replaced one's); passing a
        :class:`Registry` overrides every key it provides. Services that depend on a
        replaced one are created anew inside the block, in this container and in scopes
        already open; on exit the originals come back and values created inside the block
        that live in APP scope are finalized.

        Args:
            target: The type key to replace, or a Registry of replacements.
            value: The replacement object.
            factory: A class or function making the replacement.
            scope: The scope of ``factory``'s values.
            enter: Enter what ``factory`` makes as a context manager and serve what
                entering returns, exiting it when its scope closes (as ``enter=True`` of
                :meth:`Registry.add`).

        Raises:
            ContainerError: When neither or both of ``value`` and ``factory`` are given, or
                ``enter=True`` comes without ``factory``.
            RegistrationError: When ``factory`` cannot be registered as given (for
                ``enter=True``, when what it makes is not a context manager class).
            GraphValidationError: When the graph with the replacement is invalid.
        """
        if enter and factory is None:
            raise ContainerError(
                f"override of `{_qualified_name(target)}` passes enter=True without factory=:"
                " only a factory's values can be entered, and a ready value or a Registry's"
                " providers are used as they are.",
                hint="`container.override(Service, factory=Client, enter=True)`, or register"
                " the replacement with enter=True in the Registry you pass.",
            )
        if isinstance(target, Registry):
            providers = list(target)
        elif (value is _MISSING) == (factory is None):
            raise ContainerError(
                f"override of `{target!r}` needs exactly one replacement.",
                hint="`container.override(Service, fake)` or"
                " `container.override(Service, factory=make_fake)`.",
            )
        elif factory is None:
            providers = [value_provider(value, provides=target)]
        else:
            if scope is None:
                current = self._by_key.get(target)
                scope = current.scope if current is not None else Scope.APP
            providers = [make_provider(factory, scope=scope, provides=target, enter=enter)]
        return Override(self, providers)

    def _push(self, override: Override) -> None:
        with self._lock:
            base = self._overrides[-1].by_key if self._overrides else self._by_key
            by_key = dict(base)
            for provider in override.providers:
                for key in provider.provides:
                    by_key[key] = provider
            graph = Graph(by_key)
            replaced = [graph.by_key[k] for p in override.providers for k in p.provides]
            affected = graph.dependents(replaced)
            old = self._env
            key_of = {n.provider: old.key_of.get(n.provider, n.key) for n in old.graph.nodes}
            env = Env(graph, self._cache, self._fin, self._lock, self)
            for node in graph.nodes:
                if node in affected:
                    env.key_of[node.provider] = OverrideKey(node.key)
                    if node.level is Scope.APP:
                        env.finalizers_of[node.provider] = override.finalizers
                else:
                    env.key_of[node.provider] = key_of.get(node.provider, node.key)
                    if node.provider in old.finalizers_of:
                        env.finalizers_of[node.provider] = old.finalizers_of[node.provider]
            override.by_key = by_key
            override.saved = (old, self._remap)
            override.created = [env.key_of[n.provider] for n in affected]
            self._env = env
            self._overrides.append(override)
            self._remap = {
                k: env.cache_key(n) for k, n in graph.by_key.items() if env.cache_key(n) is not k
            }
            for shape in self._shapes:
                self._compile(shape)
            self._settle_env()
            self.get = self._get_remapped if self._remap else self._memo.__getitem__
            self.generation = next(_GENERATIONS)

    def _pop(self, override: Override) -> list[Any]:
        with self._lock:
            if not self._overrides or self._overrides[-1] is not override:
                raise ContainerError(
                    "overrides were exited out of order: an override must be exited before"
                    " the ones entered earlier.",
                    hint="nesting the `with container.override(...)` blocks.",
                )
            self._overrides.pop()
            if override.saved is not None:
                self._env, self._remap = override.saved
            for key in override.created:
                self._cache.pop(key, None)
            self._memo.clear()
            if not self._closed:
                for shape in self._shapes:
                    self._compile(shape)
                self._settle_env()
                self.get = self._get_remapped if self._remap else self._memo.__getitem__
            self.generation = next(_GENERATIONS)
            return override.finalizers

    # --- graph --------------------------------------------------------------------------

    def graph(self) -> DependencyGraph:
        """The validated dependency graph (with active overrides), for export."""
        return DependencyGraph(self._env.graph)

    # --- closing ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the container was closed."""
        return self._closed

    def _shut(self) -> None:
        self._closed = True
        self._s = self._root.closed
        self.get = self._get_closed
        self.generation = next(_GENERATIONS)
        self._builders = {}
        self._memo.clear()
        for shape in self._shapes:
            shape.dead = True
            shape.f.clear()
            shape.af.clear()
            shape.sa.clear()

    def _get_closed(self, service: Any, /) -> Any:
        del service
        raise ClosedError("container")

    def close(self) -> None:
        """Close every open scope, then finalize APP values, newest first.

        Raises:
            AsyncFinalizerError: When APP values have async finalizers: use :meth:`aclose`.
            CleanupError: After every finalizer ran, when some of them failed.
        """
        if self._closed:
            return
        errors: list[Exception] = []
        for kid in reversed(list(self._kids)):
            try:
                kid.close()
            except CleanupError as group:
                errors.extend(group.exceptions)
        pending = [f for o in self._overrides for f in o.finalizers] + self._fin
        if has_async(pending):
            raise AsyncFinalizerError(Scope.APP)
        self._shut()
        for override in reversed(self._overrides):
            errors += run_sync(override.finalizers, None)
        errors += run_sync(self._fin, None)
        self._cache.clear()
        if errors:
            raise CleanupError("closing the container", errors)

    async def aclose(self) -> None:
        """Close every open scope, then finalize APP values, awaiting async finalizers.

        Raises:
            CleanupError: After every finalizer ran, when some of them failed.
        """
        if self._closed:
            return
        errors: list[Exception] = []
        for kid in reversed(list(self._kids)):
            try:
                await kid.aclose()
            except CleanupError as group:
                errors.extend(group.exceptions)
        self._shut()
        for override in reversed(self._overrides):
            errors += await run_async(override.finalizers, None)
        errors += await run_async(self._fin, None)
        self._cache.clear()
        if errors:
            raise CleanupError("closing the container", errors)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Container {len(self._env.graph.nodes)} providers {state}>"


SPECIAL_KEYS[Container] = "container"
