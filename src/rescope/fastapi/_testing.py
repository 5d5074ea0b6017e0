"""Overrides for tests: ``with override(AuthService, fake):``, undone on teardown.

The FastAPI flavour of :class:`rescope.testing.Overrides`: the same replacements with
the same semantics, aimed at an app's container (found when first needed, so the helper
can be made before the app starts), plus ``app.dependency_overrides`` entries for
``Inject[T]`` that are removed on close as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from rescope.di import Container
from rescope.exceptions import ConfigurationError
from rescope.fastapi._inject import dependency_for
from rescope.testing._overrides import ActiveOverride
from rescope.testing._overrides import Overrides as _ContainerOverrides

__all__ = ["ActiveOverride", "Overrides"]

_MISSING: Any = object()


class Overrides(_ContainerOverrides):
    """Replace services of an app's container in tests, each undone at the latest on close.

    A :class:`rescope.testing.Overrides` that takes the app: make one per test in a
    fixture, then ``with override(AuthService, fake):`` or just ``override(AuthService,
    fake)`` (undone at teardown)::

        @pytest.fixture(name="override")
        def fixture_override(app):
            with Overrides(app) as override:
                yield override

    The replacement is in force for ``TestClient`` and ``httpx.AsyncClient`` requests
    alike, for injected path-operation parameters and for ``Inject[T]`` in dependencies.

    Args:
        target: The app (set up with ``rescope.fastapi.setup``; its container is looked
            up when the first replacement is made) or a container.
    """

    def __init__(self, target: FastAPI | Container) -> None:
        self._app = None if isinstance(target, Container) else target
        self._container = target if isinstance(target, Container) else None
        self._dependencies: dict[Any, Any] = {}
        # for an app, None: the property below looks its container up on demand
        super().__init__(self._container)  # type: ignore[arg-type]

    @property
    def container(self) -> Container:
        """The container the replacements apply to.

        Raises:
            ConfigurationError: When the app was not set up with ``rescope.fastapi.setup``,
                or its container is built at startup and it has not started.
        """
        if self._container is not None:
            return self._container
        integration = getattr(self._app.state, "rescope", None) if self._app else None
        if integration is None:
            raise ConfigurationError(
                "Overrides(app) replaces services of the app's container, and this app has"
                " none: it was not set up with rescope.",
                setting="setup",
                hint="`rescope.fastapi.setup(app, container)` before making the helper.",
            )
        container: Container = integration.container
        return container

    @container.setter
    def container(self, value: Container | None) -> None:
        self._container = value

    def dependency(self, service: object, replacement: Callable[..., Any]) -> None:
        """Set ``app.dependency_overrides`` for ``Inject[service]``, removed on close.

        The replacement may take parameters of its own (query parameters, headers,
        other dependencies): FastAPI solves them, as for any ``Depends``.

        Args:
            service: The type key.
            replacement: A callable returning the replacement (sync, async or a generator).

        Raises:
            ConfigurationError: When the helper was made for a container, not an app.
        """
        if self._app is None:
            raise ConfigurationError(
                "dependency overrides belong to an app, and this helper was made for a container.",
                setting="dependency_overrides",
                hint="`Overrides(app)` instead of `Overrides(container)`.",
            )
        dependency = dependency_for(service)
        overrides = self._app.dependency_overrides
        self._dependencies.setdefault(dependency, overrides.get(dependency, _MISSING))
        overrides[dependency] = replacement

    def close(self) -> None:
        """Undo every replacement still in force, newest first, and the dependency overrides.

        Raises:
            CleanupError: When finalizers of values created under a replacement failed.
        """
        try:
            super().close()
        finally:
            if self._app is not None:
                overrides = self._app.dependency_overrides
                for dependency, previous in self._dependencies.items():
                    if previous is _MISSING:
                        overrides.pop(dependency, None)
                    else:
                        overrides[dependency] = previous
            self._dependencies.clear()
