"""What the integration asks a built container's graph, through its public queries.

``key in container.graph()``, ``graph.scope_of(key)`` and ``graph.context_keys(...)``
answer everything the integration needs. They run at startup and when the container's
state changes (an override starts or ends), never per request.
"""

from __future__ import annotations

from rescope.di import Container, Scope

__all__ = ["context_keys", "is_provided", "level_of"]


def is_provided(container: Container, key: object) -> bool:
    """Whether the container can resolve ``key`` (a registration or a context value)."""
    return key in container.graph()


def level_of(container: Container, key: object) -> Scope:
    """The effective scope of ``key``: the longest-lived scope it can be resolved in."""
    return container.graph().scope_of(key)


def context_keys(container: Container, *, parent: Scope, entered: Scope) -> frozenset[object]:
    """The context keys that entering ``entered`` from ``parent`` accepts."""
    return container.graph().context_keys(parent=parent, entered=entered)
