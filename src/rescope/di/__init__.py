"""Dependency injection: registries, scopes, a compiled and validated container.

Register services in a :class:`Registry`, build a :class:`Container` from it (the graph
is validated then), resolve with ``container.get`` / ``await container.aget`` and enter
shorter-lived scopes with ``container.scope(Scope.REQUEST)``. A parameter annotated
``Lazy[T]`` receives a callable that resolves ``T`` when it is called.
"""

from rescope.di._container import Container, Resolve
from rescope.di._export import DependencyGraph
from rescope.di._lazy import Lazy
from rescope.di._override import Override, OverrideKey
from rescope.di._providers import Kind, Provider
from rescope.di._registry import Registry
from rescope.di._scope import Scope
from rescope.di._scoped import ScopedContainer

__all__ = [
    "Container",
    "DependencyGraph",
    "Kind",
    "Lazy",
    "Override",
    "OverrideKey",
    "Provider",
    "Registry",
    "Resolve",
    "Scope",
    "ScopedContainer",
]
