"""Overrides for tests: ``with override(AuthService, fake):``, undone on teardown."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from fastapi import FastAPI
from rescope.di import Container, Override, Scope
from rescope.fastapi._inject import dependency_for

__all__ = ["ActiveOverride", "Overrides"]

_MISSING: Any = object()


class ActiveOverride:
    """A replacement that is already in force; ``with`` (or :meth:`undo`) ends it."""

    def __init__(self, owner: Overrides, override: Override) -> None:
        self._owner = owner
        self._override = override
        self.active = True

    def undo(self) -> None:
        """End the replacement (nothing happens when it already ended)."""
        if self.active:
            self.active = False
            self._owner._active.remove(self)  # noqa: SLF001 - the owner's own list
            self._override.__exit__(None, None, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.undo()


class Overrides:
    """Replace services of an app's container in tests, each undone at the latest on close.

    Make one per test in a fixture, then ``with override(AuthService, fake):`` or just
    ``override(AuthService, fake)`` (undone at teardown)::

        @pytest.fixture(name="override")
        def fixture_override(app):
            with Overrides(app) as override:
                yield override

    The replacement is in force for ``TestClient`` and ``httpx.AsyncClient`` requests
    alike, for injected path-operation parameters and for ``Inject[T]`` in dependencies.

    Args:
        target: The app (set up with ``rescope.fastapi.setup`` and started) or a container.
    """

    def __init__(self, target: FastAPI | Container) -> None:
        self._target = target
        self._active: list[ActiveOverride] = []
        self._dependencies: dict[Any, Any] = {}

    @property
    def container(self) -> Container:
        """The container the replacements apply to."""
        if isinstance(self._target, Container):
            return self._target
        return self._target.state.rescope.container  # type: ignore[no-any-return]

    def __call__(
        self,
        service: object,
        value: object = _MISSING,
        /,
        *,
        factory: Callable[..., Any] | None = None,
        scope: Scope | None = None,
    ) -> ActiveOverride:
        """Replace ``service`` now (``container.override`` semantics); return the handle.

        Args:
            service: The type key (or a Registry of replacements).
            value: The replacement object.
            factory: A class or function making the replacement, instead of ``value``.
            scope: The scope of ``factory``'s values.

        Raises:
            ContainerError: When neither or both of ``value`` and ``factory`` are given.
        """
        if value is _MISSING:
            override = self.container.override(service, factory=factory, scope=scope)
        else:
            override = self.container.override(service, value, factory=factory, scope=scope)
        override.__enter__()
        active = ActiveOverride(self, override)
        self._active.append(active)
        return active

    def dependency(self, service: object, replacement: Callable[[], Any]) -> None:
        """Set ``app.dependency_overrides`` for ``Inject[service]``, removed on close.

        Args:
            service: The type key.
            replacement: A callable without parameters returning the replacement.
        """
        if isinstance(self._target, Container):
            msg = "dependency overrides need the app: pass the app to Overrides()"
            raise TypeError(msg)
        dependency = dependency_for(service)
        overrides = self._target.dependency_overrides
        self._dependencies.setdefault(dependency, overrides.get(dependency, _MISSING))
        overrides[dependency] = replacement

    def close(self) -> None:
        """Undo every replacement still in force, newest first."""
        for active in reversed(list(self._active)):
            active.undo()
        if not isinstance(self._target, Container):
            overrides = self._target.dependency_overrides
            for dependency, previous in self._dependencies.items():
                if previous is _MISSING:
                    overrides.pop(dependency, None)
                else:
                    overrides[dependency] = previous
        self._dependencies.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
