"""Overrides: replace services for the duration of a ``with`` block (tests)."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from rescope.di._finalize import run_async, run_sync
from rescope.di._providers import Provider
from rescope.exceptions import CleanupError, _qualified_name

if TYPE_CHECKING:  # only for annotations the container never reads
    from rescope.di._container import Container
    from rescope.di._env import Env

__all__ = ["Override", "OverrideKey"]


class OverrideKey:
    """The cache key of a service while an override changes how it is made.

    Values created under an override are cached under a fresh key, so the originals stay
    in their caches untouched and come back when the override ends.

    Args:
        service: The type key it stands for.
    """

    __slots__ = ("service",)

    def __init__(self, service: object) -> None:
        self.service = service

    def __repr__(self) -> str:
        return f"<override of {_qualified_name(self.service)}>"


class Override:
    """An active replacement of services, made by ``Container.override``.

    Use it as a context manager (``with`` or ``async with``): it applies on entry and
    restores the originals on exit, finalizing APP values created in between.

    Args:
        container: The container to change.
        providers: The replacement providers.
    """

    def __init__(self, container: Container, providers: list[Provider]) -> None:
        self.container = container
        self.providers = providers
        self.finalizers: list[Any] = []
        self.by_key: dict[object, Provider] = {}
        self.saved: tuple[Env, dict[object, object]] | None = None
        self.created: list[object] = []

    def __enter__(self) -> Self:
        self.container._push(self)  # noqa: SLF001 - the override drives its container
        return self

    def __exit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        errors = run_sync(self.container._pop(self), None)  # noqa: SLF001
        if errors:
            raise CleanupError("ending an override", errors)

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        errors = await run_async(self.container._pop(self), None)  # noqa: SLF001
        if errors:
            raise CleanupError("ending an override", errors)
