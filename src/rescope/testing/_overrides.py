"""The ``override`` helper: replace a service now, undone by ``with`` or at teardown."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from rescope.di import Container, Override, Scope

__all__ = ["ActiveOverride", "Overrides"]

_MISSING: Any = object()


class ActiveOverride:
    """A replacement already in force; leaving its ``with`` block (or :meth:`undo`) ends it.

    Args:
        owner: The helper that made it.
        override: The container's override, already entered.
    """

    def __init__(self, owner: Overrides, override: Override) -> None:
        self._owner = owner
        self._override = override
        self.active = True

    def __repr__(self) -> str:
        state = "active" if self.active else "undone"
        return f"<ActiveOverride {state}>"

    def undo(self) -> None:
        """End the replacement now (nothing happens when it already ended).

        Raises:
            ContainerError: When a replacement made after this one is still in force
                (replacements end newest first).
            CleanupError: When finalizers of values created under it failed.
        """
        if self.active:
            self._override.__exit__(None, None, None)
            self.active = False
            self._owner._forget(self)  # noqa: SLF001 - the owner's own list

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.undo()


class Overrides:
    """Replace services of a container for one test; whatever is still replaced ends on close.

    ``override(AuthService, fake)`` replaces ``AuthService`` at once and returns an
    :class:`ActiveOverride`; use it as a context manager to end the replacement early,
    or let :meth:`close` (the fixture's teardown) end it. Nothing leaks into the next test.

    Args:
        container: The container whose services are replaced.
    """

    def __init__(self, container: Container) -> None:
        self.container = container
        self._active: list[ActiveOverride] = []

    def __repr__(self) -> str:
        return f"<Overrides active={len(self._active)}>"

    def __len__(self) -> int:
        return len(self._active)

    def __call__(
        self,
        service: object,
        value: object = _MISSING,
        /,
        *,
        factory: Callable[..., Any] | None = None,
        scope: Scope | None = None,
    ) -> ActiveOverride:
        """Replace ``service`` now, with ``Container.override`` semantics.

        Args:
            service: The type key, or a Registry of replacements.
            value: The replacement object.
            factory: A class or function making the replacement, instead of ``value``.
            scope: The scope of ``factory``'s values (default: the replaced one's).

        Raises:
            ContainerError: When neither or both of ``value`` and ``factory`` are given.
            GraphValidationError: When the graph with the replacement is invalid.
        """
        if value is _MISSING:
            override = self.container.override(service, factory=factory, scope=scope)
        else:
            override = self.container.override(service, value, factory=factory, scope=scope)
        override.__enter__()
        active = ActiveOverride(self, override)
        self._active.append(active)
        return active

    def _forget(self, active: ActiveOverride) -> None:
        self._active.remove(active)

    def close(self) -> None:
        """End every replacement still in force, newest first.

        Raises:
            CleanupError: When finalizers of values created under a replacement failed.
        """
        for active in reversed(list(self._active)):
            active.undo()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
