"""Entering a scope inline: what generated integration code needs to skip ``scope()``.

An integration that enters one scope per request (``rescope.fastapi``) generates code
that does what :meth:`Container.scope` does, without the call: it creates the scope
object from the class and the compiled shape returned here, and resolves services with
the shape's compiled functions. The result is valid until the container's
``generation`` changes (an override starts or ends, or the container closes); then
the code asks again.
"""

# The generated code stands in for ``Container.scope``: it shares its private state.
# ruff: noqa: SLF001

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rescope.di._codegen import Factory
from rescope.di._graph import Node
from rescope.di._providers import Kind
from rescope.di._scope import Scope
from rescope.di._scoped import ScopedContainer, Shape, enter_shape

if TYPE_CHECKING:  # only for annotations
    from collections.abc import Mapping

    from rescope.di._container import Container

__all__ = ["DirectCall", "InlineEntry", "direct_calls", "inline_entry"]


@dataclass(frozen=True, slots=True)
class InlineEntry:
    """How to enter a scope from a container inline, and resolve in it.

    Code entering it sets the attributes of a new ``cls()`` exactly as
    :meth:`Container.scope` does: ``_p`` the container, ``_s`` the shape, ``_c`` the
    context dict (a new one, with only keys the scope declares), ``_fin`` and ``_kids``
    None.

    Attributes:
        cls: The class of the scope object.
        shape: The compiled shape the scope points at.
        sync: The function resolving each key that needs no ``await``, called with the
            entered scope.
    """

    cls: type[ScopedContainer]
    shape: Shape
    sync: Mapping[object, Factory]


def inline_entry(container: Container, scope: Scope) -> InlineEntry | None:
    """How to enter ``scope`` straight from ``container`` without calling ``scope()``.

    Returns None when entering must go through :meth:`Container.scope`: the container
    is closed, or lazies in it follow the current scope (entering then sets it).

    Args:
        container: The container entered from.
        scope: The scope to enter.
    """
    current: Any = container._s
    if current.is_closed or current.dead:
        return None
    shape: Any = current.children.get(scope)
    if shape is None:
        shape = enter_shape(container, scope)
    if shape.track:
        return None
    return InlineEntry(cls=shape.cls, shape=shape, sync=shape.sa)


@dataclass(frozen=True, slots=True)
class DirectCall:
    """A service a freshly entered scope can create with one call: ``provider(*args)``.

    Attributes:
        provider: The class or function.
        args: Its arguments: values that stay the same while the container's
            ``generation`` does (APP singletons, ready values, defaults).
        cache_key: Where the entered scope caches the value (``scope._c[cache_key]``);
            None for a transient, which is not cached.
    """

    provider: Callable[..., Any]
    args: tuple[Any, ...]
    cache_key: object | None


def _reachable(nodes: Iterable[Node]) -> set[Node]:
    """Every node the given nodes depend on, directly or not (lazies included)."""
    seen: set[Node] = set()
    stack = [arg.node or arg.lazy for node in nodes for arg in node.args]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(arg.node or arg.lazy for arg in node.args)
    return seen


def _direct(container: Container, entry: InlineEntry, node: Node) -> DirectCall | None:
    provider = node.provider
    if provider.kind not in {Kind.CLASS, Kind.FACTORY} or node.needs_async:
        return None
    tops = entry.shape.tops
    transient = provider.scope is Scope.TRANSIENT
    if not transient and not tops[-2] < node.level <= tops[-1]:
        return None  # cached in a longer-lived frame: the compiled function checks it
    args: list[Any] = []
    by_keyword = False
    for arg in node.args:
        dep, filler = arg.dependency, arg.node
        if arg.special is not None:
            return None
        if filler is None:  # the default
            if dep.positional:
                args.append(dep.default)
            else:
                by_keyword = True
            continue
        if by_keyword or dep.keyword_only:
            return None
        if filler.provider.kind is Kind.VALUE:
            args.append(filler.provider.source)
        elif filler.level is Scope.APP and filler.is_cached and not filler.needs_async:
            args.append(container.get(filler.key))
        else:
            return None
    cache_key = None if transient else container._env.cache_key(node)
    return DirectCall(provider.source, tuple(args), cache_key)  # type: ignore[arg-type]


def direct_calls(
    container: Container, entry: InlineEntry, keys: Sequence[object]
) -> list[DirectCall | None]:
    """For each of ``keys``, how to create it with one call right after entering ``entry``.

    A key qualifies when its provider is a sync class or function living in the entered
    frame (or a transient), every argument is fixed while the container's generation is
    (an APP singleton, a ready value, a default), and nothing else in ``keys`` creates
    it first: it is not among them twice nor a dependency of another. Creating APP
    singletons on the way is part of asking.

    Args:
        container: The container the scope is entered from.
        entry: The inline entry.
        keys: The keys a request resolves, in order.
    """
    graph = entry.shape.graph
    nodes = [graph.by_key.get(key) for key in keys]
    out: list[DirectCall | None] = []
    for i, node in enumerate(nodes):
        others = [n for j, n in enumerate(nodes) if j != i and n is not None]
        if node is None or node in others or node in _reachable(others):
            out.append(None)
        else:
            out.append(_direct(container, entry, node))
    return out
