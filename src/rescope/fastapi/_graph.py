"""What the integration needs to know about a built container's graph.

The container exposes no public query for "is this key provided", "which context keys
does entering this scope accept" or "which scope does this key live in", so these read
the validated graph the container was built from. They run at startup, never per request.
"""

# The container's graph is read here, and only here.
# ruff: noqa: SLF001

from __future__ import annotations

from typing import Any

from rescope.di import Container, Kind, Scope

__all__ = ["context_keys", "graph_token", "is_provided", "level_of"]


def _by_key(container: Container) -> dict[object, Any]:
    return container._env.graph.by_key


def graph_token(container: Container) -> object:
    """An object that changes whenever the container's graph does (an override starts or ends)."""
    return container._env.graph


def is_provided(container: Container, key: object) -> bool:
    """Whether the container can resolve ``key`` (a registration or a context value)."""
    return key in _by_key(container)


def level_of(container: Container, key: object) -> Scope:
    """The effective scope of ``key``: the shortest-lived scope it can be resolved from."""
    level: Scope = _by_key(container)[key].level
    return level


def context_keys(container: Container, *, parent: Scope, entered: Scope) -> frozenset[object]:
    """The context keys that entering ``entered`` from ``parent`` accepts.

    Entering a scope more than one level down covers the levels in between, so keys
    declared for any scope after ``parent`` and up to ``entered`` are accepted.
    """
    return frozenset(
        key
        for key, node in _by_key(container).items()
        if node.provider.kind is Kind.CONTEXT and parent < node.provider.scope <= entered
    )
