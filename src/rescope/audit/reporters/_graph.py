"""``--format mermaid`` and ``--format dot``: the service dependency graph, cycles in red."""

from __future__ import annotations

import re

from rescope.audit._model import AuditResult

__all__ = ["render_dot", "render_mermaid"]

_SHAPE_STYLE = {
    "lazy_getter": "#dbeafe",
    "cached_getter": "#e0e7ff",
    "new_singleton": "#fde68a",
    "metaclass_singleton": "#fde68a",
    "decorator_singleton": "#fde68a",
    "class_cached_client": "#fbcfe8",
    "module_instance": "#d1fae5",
}


def _node_id(name: str) -> str:
    return re.sub(r"\W", "_", name) or "_"


def _in_cycle(result: AuditResult) -> set[tuple[str, str]]:
    cyclic: set[tuple[str, str]] = set()
    for cycle in result.cycles:
        members = set(cycle)
        cyclic |= {(a, b) for a, b in result.edges if a in members and b in members}
    return cyclic


def render_mermaid(result: AuditResult) -> str:
    """A Mermaid ``graph LR`` of services; edges inside a cycle are drawn red and thick."""
    lines = ["graph LR"]
    seen: set[str] = set()
    for service in result.services:
        if service.name in seen:
            continue
        seen.add(service.name)
        label = f"{service.name}<br/>{service.shape} · {service.scope.value}".replace('"', "'")
        lines.append(f'    {_node_id(service.name)}["{label}"]')
    cyclic = _in_cycle(result)
    red: list[int] = []
    for number, (a, b) in enumerate(result.edges):
        lines.append(f"    {_node_id(a)} --> {_node_id(b)}")
        if (a, b) in cyclic:
            red.append(number)
    if red:
        lines.append(f"    linkStyle {','.join(map(str, red))} stroke:#dc2626,stroke-width:3px")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(result: AuditResult) -> str:
    """A Graphviz digraph of services, filled by singleton shape, cycle edges in red."""
    lines = [
        "digraph services {",
        "    rankdir=LR;",
        '    node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ]
    seen: set[str] = set()
    for service in result.services:
        if service.name in seen:
            continue
        seen.add(service.name)
        label = f"{service.name}\\n{service.shape} · {service.scope.value}"
        color = _SHAPE_STYLE.get(service.shape, "#f3f4f6")
        lines.append(
            f"    {_dot_quote(service.name)} [label={_dot_quote(label)}, fillcolor={_dot_quote(color)}];"  # noqa: E501
        )
    cyclic = _in_cycle(result)
    for a, b in result.edges:
        style = ' [color="#dc2626", penwidth=2.5]' if (a, b) in cyclic else ""
        lines.append(f"    {_dot_quote(a)} -> {_dot_quote(b)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"
