"""rescope: from global singletons to scoped, injected, resilient services.

The runtime API (the container, its scopes and providers) is importable from here; the
integrations live in their own modules (``rescope.fastapi``, ``rescope.resilience``,
``rescope.resources``, ``rescope.events``, ``rescope.testing``).

The runtime names are imported on first use, so a program that only needs
``rescope.audit`` or ``rescope.migrate`` (and its parsing processes) does not load the
container and :mod:`asyncio`.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

from rescope._version import __version__
from rescope.exceptions import RescopeError

if TYPE_CHECKING:
    from rescope.di import (
        Container,
        DependencyGraph,
        Lazy,
        Override,
        Registry,
        Scope,
        ScopedContainer,
    )

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

_RUNTIME = frozenset(__all__) - {"RescopeError", "__version__"}  # from rescope.di, lazily


def __getattr__(name: str) -> object:
    """Import a runtime name from :mod:`rescope.di` on first use."""
    if name not in _RUNTIME:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_importlib.import_module("rescope.di"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
