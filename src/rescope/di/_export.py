"""Graph export: the validated graph as a dict, JSON, Mermaid and DOT."""

from __future__ import annotations

import json
from typing import Any

from rescope.di._graph import Arg, Graph, Node
from rescope.di._providers import Kind
from rescope.di._scope import Scope
from rescope.exceptions import UnknownServiceError, _qualified_name

__all__ = ["DependencyGraph"]


def _name(node: Node) -> str:
    return _qualified_name(node.key)


def _target(arg: Arg) -> tuple[Node, str] | None:
    """The node an argument depends on and the edge's kind ("direct" or "lazy"), if any."""
    if arg.node is not None:
        return arg.node, "direct"
    if arg.lazy is not None:
        return arg.lazy, "lazy"
    return None


def _uses(node: Node, special: str) -> bool:
    """Whether ``node`` is given the container ("container") or its scope ("scope")."""
    return any(arg.special == special for arg in node.args)


def _notes(node: Node) -> list[str]:
    """What a diagram notes under a service's name besides its scope."""
    return [f"uses {special}" for special in ("scope", "container") if _uses(node, special)]


def _dot_node(node: Node) -> str:
    """A DOT node statement, with a label only when there is something to note."""
    notes = _notes(node)
    if not notes:
        return f'"{_name(node)}"'
    label = "\\n".join([_name(node), *notes])
    return f'"{_name(node)}" [label="{label}"]'


class DependencyGraph:
    """A read-only view of a container's validated graph, for reports and diagrams.

    Services are listed in dependency order (a service after everything it needs).

    Args:
        graph: The container's graph.
    """

    def __init__(self, graph: Graph) -> None:
        self._graph = graph

    def __contains__(self, service: object) -> bool:
        """Whether ``service`` can be resolved (a registration or a context value)."""
        return service in self._graph.by_key

    def scope_of(self, service: object) -> Scope:
        """The effective scope of ``service``: the longest-lived scope it can be resolved in.

        That is its declared scope, or for a transient the scope of its shortest-lived
        dependency (APP when it has none).

        Args:
            service: The type key.

        Raises:
            UnknownServiceError: When nothing provides it.
        """
        node = self._graph.by_key.get(service)
        if node is None:
            raise UnknownServiceError(service)
        return node.level

    def context_keys(self, *, parent: Scope, entered: Scope) -> frozenset[object]:
        """The context keys that entering ``entered`` from ``parent`` accepts.

        Entering a scope more than one level down covers the levels in between, so keys
        declared for any scope after ``parent`` up to ``entered`` are accepted.

        Args:
            parent: The scope entered from (APP for the container).
            entered: The scope entered.
        """
        return frozenset(
            key
            for key, node in self._graph.by_key.items()
            if node.provider.kind is Kind.CONTEXT and parent < node.provider.scope <= entered
        )

    def _edges(self) -> list[tuple[Node, Arg, Node, str]]:
        """Every edge as (source, argument, target, kind), in dependency order."""
        return [
            (node, arg, *found)
            for node in self._graph.order
            for arg in node.args
            if (found := _target(arg)) is not None
        ]

    def to_dict(self) -> dict[str, Any]:
        """The graph as plain data: ``{"services": [...], "edges": [...]}``.

        Each service has ``id``, ``provides``, ``scope`` (declared), ``effective_scope``,
        ``kind``, ``provider``, ``is_async``, ``uses_scope`` (a parameter is given the
        ``ScopedContainer`` the service lives in) and ``uses_container`` (a parameter is
        given the ``Container``). Each edge has ``source``, ``target``, ``parameter`` (the
        source needs the target) and ``kind``: ``"direct"`` when the target is injected, or
        ``"lazy"`` when a ``Lazy[T]`` (or ``Callable[[], T]``) resolves it later. Lazy
        edges may close a cycle; the services' order follows the direct edges only.
        """
        services = [
            {
                "id": _name(node),
                "provides": [_qualified_name(k) for k in node.keys],
                "scope": str(node.scope),
                "effective_scope": str(node.level),
                "kind": node.provider.kind.value,
                "provider": _qualified_name(node.provider.source)
                if node.provider.kind.value != "value"
                else f"<{type(node.provider.source).__name__} value>",
                "is_async": node.needs_async,
                "uses_scope": _uses(node, "scope"),
                "uses_container": _uses(node, "container"),
            }
            for node in self._graph.order
        ]
        edges = [
            {
                "source": _name(node),
                "target": _name(target),
                "parameter": arg.dependency.name,
                "kind": kind,
            }
            for node, arg, target, kind in self._edges()
        ]
        return {"services": services, "edges": edges}

    def to_json(self, *, indent: int | None = 2) -> str:
        """The graph as JSON text (see :meth:`to_dict`).

        Args:
            indent: Passed to :func:`json.dumps`.
        """
        return json.dumps(self.to_dict(), indent=indent)

    def to_mermaid(self) -> str:
        """The graph as a Mermaid flowchart: one node per service, labelled with its scope.

        Lazy dependencies are dashed edges (``-.->``) labelled ``lazy <parameter>``; a
        service given its scope or the container says so under its scope.
        """
        ids = {node: f"n{i}" for i, node in enumerate(self._graph.order)}
        lines = ["flowchart LR"]
        for node, ident in ids.items():
            label = "<br/>".join([_name(node), str(node.scope), *_notes(node)])
            lines.append(f'    {ident}["{label}"]')
        for node, arg, target, kind in self._edges():
            name = arg.dependency.name
            if kind == "lazy":
                lines.append(f"    {ids[node]} -.->|lazy {name}| {ids[target]}")
            else:
                lines.append(f"    {ids[node]} -->|{name}| {ids[target]}")
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        """The graph as Graphviz DOT, services clustered by scope.

        Lazy dependencies are dashed edges labelled ``lazy <parameter>``; a service given
        its scope or the container says so in its label.
        """
        lines = ["digraph rescope {", "    rankdir=LR;", "    node [shape=box];"]
        by_scope: dict[str, list[Node]] = {}
        for node in self._graph.order:
            by_scope.setdefault(str(node.scope), []).append(node)
        for i, (scope, nodes) in enumerate(by_scope.items()):
            lines.append(f"    subgraph cluster_{i} {{")
            lines.append(f'        label="{scope}";')
            lines.extend(f"        {_dot_node(node)};" for node in nodes)
            lines.append("    }")
        for node, arg, target, kind in self._edges():
            name = arg.dependency.name
            attributes = (
                f'label="lazy {name}", style=dashed' if kind == "lazy" else f'label="{name}"'
            )
            lines.append(f'    "{_name(node)}" -> "{_name(target)}" [{attributes}];')
        lines.append("}")
        return "\n".join(lines) + "\n"
