"""The validated dependency graph: nodes, edges, effective scopes, async paths."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rescope.di._lazy import lazy_target
from rescope.di._providers import NO_DEFAULT, Dependency, Kind, Provider
from rescope.di._scope import Scope
from rescope.exceptions import (
    CycleError,
    DuplicateRegistrationError,
    MissingDependencyError,
    ScopeViolationError,
    UnresolvableParameterError,
    _qualified_name,
)

__all__ = ["SPECIAL_KEYS", "Arg", "Graph", "Node", "merge_providers"]

SPECIAL_KEYS: dict[object, str] = {}
"""Keys the container fills itself when nothing registers them: ``Container`` -> "container",
``ScopedContainer`` -> "scope" (filled in by the modules defining them)."""


@dataclass(frozen=True, slots=True)
class Arg:
    """A provider parameter and what fills it.

    Attributes:
        dependency: The parameter.
        node: The node that fills it; None when the default is used or ``special`` is set.
        special: "container", "scope" (the scope the dependent lives in) or "lazy".
        lazy: For "lazy", the node the injected :class:`Lazy` resolves when called.
    """

    dependency: Dependency
    node: Node | None
    special: str | None = None
    lazy: Node | None = None


@dataclass(eq=False, slots=True)
class Node:
    """One provider in the graph, with everything resolution needs to know about it.

    Attributes:
        index: Position in the graph (stable names in generated code).
        provider: The provider.
        keys: The keys that resolve to this node.
        level: The effective scope: the declared one, or for a transient the shortest-lived
            scope among its dependencies (APP when it has none).
        args: The parameters, in signature order, with the nodes filling them.
        needs_async: Whether making it (or a dependency) needs an ``await``.
        async_dependency: The dependency through which it needs an ``await`` (None when
            its own provider is async or it needs none).
    """

    index: int
    provider: Provider
    keys: tuple[object, ...]
    level: Scope = Scope.APP
    args: tuple[Arg, ...] = ()
    needs_async: bool = False
    async_dependency: Node | None = None
    level_source: Node | None = field(default=None, repr=False)

    @property
    def key(self) -> object:
        """The key that names the node."""
        return self.keys[0]

    @property
    def scope(self) -> Scope:
        """The declared scope."""
        return self.provider.scope

    @property
    def is_cached(self) -> bool:
        """Whether one value is kept per entered scope (not transient, not a ready value)."""
        return self.provider.scope is not Scope.TRANSIENT and self.provider.kind is not Kind.VALUE

    def async_path(self) -> list[Node]:
        """The nodes from this one to the one whose provider is async."""
        path = [self]
        while path[-1].async_dependency is not None:
            path.append(path[-1].async_dependency)
        return path


def merge_providers(providers: Iterable[Provider]) -> dict[object, Provider]:
    """Map every key to its provider; later ``override=True`` registrations win.

    Raises:
        DuplicateRegistrationError: When a key is provided twice without ``override=True``.
    """
    by_key: dict[object, Provider] = {}
    for provider in providers:
        for key in provider.provides:
            existing = by_key.get(key)
            if existing is not None and existing is not provider and not provider.override:
                raise DuplicateRegistrationError(key, first=existing.source, second=provider.source)
            by_key[key] = provider
    return by_key


class Graph:
    """The container's dependency graph, validated when it is built.

    Args:
        by_key: Every key mapped to its provider (see :func:`merge_providers`).

    Raises:
        GraphValidationError: A subclass naming the problem: a missing dependency, a cycle,
            a captive dependency or a parameter that cannot be injected.
    """

    def __init__(self, by_key: dict[object, Provider]) -> None:
        nodes: dict[Provider, Node] = {}
        self.by_key: dict[object, Node] = {}
        for key, provider in by_key.items():
            node = nodes.get(provider)
            if node is None:
                node = nodes[provider] = Node(len(nodes), provider, ())
            node.keys = (*node.keys, key)
            self.by_key[key] = node
        self.nodes: list[Node] = list(nodes.values())
        for node in self.nodes:
            node.args = tuple(self._arg(node, dep) for dep in node.provider.dependencies())
        self.order: list[Node] = self._topological_order()
        for node in self.order:
            self._settle(node)
        # whether a lazy resolves from the current scope (entered scopes must track it)
        self.ambient = any(
            arg.lazy.level > node.level
            for node in self.nodes
            for arg in node.args
            if arg.lazy is not None
        )

    def _arg(self, node: Node, dep: Dependency) -> Arg:
        target = self.by_key.get(dep.key) or self.by_key.get(dep.fallback)
        if target is not None:
            return Arg(dep, target)
        special = SPECIAL_KEYS.get(dep.fallback)
        if special == "scope":
            self._check_scope_param(node, dep)
            return Arg(dep, None, special)
        if special is not None:
            return Arg(dep, None, special)
        deferred = lazy_target(dep.fallback)
        lazy = None if deferred is None else self.by_key.get(deferred)
        if lazy is not None:
            return Arg(dep, None, "lazy", lazy)
        if deferred is not None and dep.default is NO_DEFAULT:
            raise MissingDependencyError(node.key, dependency=deferred, parameter=dep.name)
        if dep.default is NO_DEFAULT:
            raise MissingDependencyError(node.key, dependency=dep.fallback, parameter=dep.name)
        return Arg(dep, None)

    @staticmethod
    def _check_scope_param(node: Node, dep: Dependency) -> None:
        scope = node.provider.scope
        if scope is not Scope.APP and scope is not Scope.TRANSIENT:
            return
        name = _qualified_name(node.key).rsplit(".", 1)[-1]
        raise UnresolvableParameterError(
            node.provider.source,
            parameter=dep.name,
            reason=f"a ScopedContainer is the entered scope a service lives in, and a {scope}"
            " service lives in none",
            hint=f"annotating it `Container` (the container itself), or register `{name}`"
            " with the scope whose ScopedContainer it needs (scope=Scope.REQUEST).",
        )

    def _topological_order(self) -> list[Node]:
        order: list[Node] = []
        state: dict[Node, int] = {}
        for root in self.nodes:
            if root in state:
                continue
            stack: list[tuple[Node, int]] = [(root, 0)]
            path: list[Node] = [root]
            state[root] = 1
            while stack:
                node, i = stack[-1]
                if i < len(node.args):
                    stack[-1] = (node, i + 1)
                    child = node.args[i].node
                    if child is None:
                        continue
                    seen = state.get(child)
                    if seen == 1:
                        cycle = [*path[path.index(child) :], child]
                        raise CycleError([n.key for n in cycle])
                    if seen is None:
                        state[child] = 1
                        stack.append((child, 0))
                        path.append(child)
                else:
                    stack.pop()
                    path.pop()
                    state[node] = 2
                    order.append(node)
        return order

    def _settle(self, node: Node) -> None:
        """Work out the effective scope and async need of ``node``; its deps are settled."""
        provider = node.provider
        children = [arg.node for arg in node.args if arg.node is not None]
        if provider.scope is Scope.TRANSIENT:
            node.level, node.level_source = Scope.APP, None
            for child in children:
                if child.level > node.level:
                    node.level = child.level
                    node.level_source = child.level_source or child
        else:
            node.level = provider.scope
            for child in children:
                if child.level > provider.scope:
                    culprit = child.level_source or child
                    raise ScopeViolationError(
                        node.key,
                        scope=provider.scope,
                        dependency=culprit.key,
                        dependency_scope=culprit.level,
                    )
        if provider.kind.is_async:
            node.needs_async = True
        else:
            for child in children:
                if child.needs_async:
                    node.needs_async, node.async_dependency = True, child
                    break

    def levels(self) -> list[Scope]:
        """The entered scopes the graph uses, APP first."""
        found = {Scope.APP, *(n.level for n in self.nodes)}
        return sorted(found)

    def context_keys(self, levels: Iterable[Scope]) -> frozenset[object]:
        """The context keys declared for any of ``levels``."""
        wanted = set(levels)
        return frozenset(
            key
            for key, node in self.by_key.items()
            if node.provider.kind is Kind.CONTEXT and node.provider.scope in wanted
        )

    def dependents(self, nodes: Iterable[Node]) -> set[Node]:
        """``nodes`` and every node that depends on one of them, directly or not."""
        affected = set(nodes)
        for node in self.order:
            if any(arg.node in affected for arg in node.args):
                affected.add(node)
        return affected
