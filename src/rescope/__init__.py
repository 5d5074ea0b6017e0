"""rescope: from global singletons to scoped, injected, resilient services.

The runtime API (the container, its scopes and providers) is importable from here; the
integrations live in their own modules (``rescope.fastapi``, ``rescope.resilience``,
``rescope.resources``, ``rescope.events``, ``rescope.testing``).
"""

from rescope._version import __version__
from rescope.di import (
    Container,
    DependencyGraph,
    Lazy,
    Override,
    Registry,
    Scope,
    ScopedContainer,
)
from rescope.exceptions import RescopeError

__all__ = [
    "Container",
    "DependencyGraph",
    "Lazy",
    "Override",
    "Registry",
    "RescopeError",
    "Scope",
    "ScopedContainer",
    "__version__",
]
