"""Graph export: the validated graph as a dict, JSON, Mermaid and DOT."""

from __future__ import annotations

import json
from typing import Any

from rescope.di._graph import Graph, Node
from rescope.di._providers import Kind
from rescope.di._scope import Scope
from rescope.exceptions import UnknownServiceError, _qualified_name

__all__ = ["DependencyGraph"]


def _name(node: Node) -> str:
    return _qualified_name(node.key)


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

    def to_dict(self) -> dict[str, Any]:
        """The graph as plain data: ``{"services": [...], "edges": [...]}``.

        Each service has ``id``, ``provides``, ``scope`` (declared), ``effective_scope``,
        ``kind``, ``provider`` and ``is_async``; each edge has ``source``, ``target`` and
        ``parameter`` (the source needs the target).
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
            }
            for node in self._graph.order
        ]
        edges = [
            {"source": _name(node), "target": _name(arg.node), "parameter": arg.dependency.name}
            for node in self._graph.order
            for arg in node.args
            if arg.node is not None
        ]
        return {"services": services, "edges": edges}

    def to_json(self, *, indent: int | None = 2) -> str:
        """The graph as JSON text (see :meth:`to_dict`).

        Args:
            indent: Passed to :func:`json.dumps`.
        """
        return json.dumps(self.to_dict(), indent=indent)

    def to_mermaid(self) -> str:
        """The graph as a Mermaid flowchart: one node per service, labelled with its scope."""
        ids = {node: f"n{i}" for i, node in enumerate(self._graph.order)}
        lines = ["flowchart LR"]
        for node, ident in ids.items():
            label = f"{_name(node)}<br/>{node.scope}"
            lines.append(f'    {ident}["{label}"]')
        lines.extend(
            f"    {ids[node]} -->|{arg.dependency.name}| {ids[arg.node]}"
            for node in self._graph.order
            for arg in node.args
            if arg.node is not None
        )
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        """The graph as Graphviz DOT, services clustered by scope."""
        lines = ["digraph rescope {", "    rankdir=LR;", "    node [shape=box];"]
        by_scope: dict[str, list[Node]] = {}
        for node in self._graph.order:
            by_scope.setdefault(str(node.scope), []).append(node)
        for i, (scope, nodes) in enumerate(by_scope.items()):
            lines.append(f"    subgraph cluster_{i} {{")
            lines.append(f'        label="{scope}";')
            lines.extend(f'        "{_name(node)}";' for node in nodes)
            lines.append("    }")
        lines.extend(
            f'    "{_name(node)}" -> "{_name(arg.node)}" [label="{arg.dependency.name}"];'
            for node in self._graph.order
            for arg in node.args
            if arg.node is not None
        )
        lines.append("}")
        return "\n".join(lines) + "\n"
