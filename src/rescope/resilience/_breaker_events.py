"""What a breaker shows the outside: its rejection error and its state-change listeners."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rescope.exceptions import CircuitOpenError
from rescope.resilience._state import CircuitState

if TYPE_CHECKING:  # a cycle at runtime: the breaker builds its error
    from rescope.resilience._breaker_core import BreakerCore

__all__ = ["AnyListener", "RejectionError", "notify"]

logger = logging.getLogger("rescope.resilience")

AnyListener = Callable[[Any, CircuitState, CircuitState], "Awaitable[None] | None"]

OPEN = CircuitState.OPEN


class RejectionError(CircuitOpenError):
    """The :class:`CircuitOpenError` one breaker raises for every rejection.

    One instance serves every rejection of one open period (a new one is made on each
    transition), so a rejection allocates nothing; ``retry_after`` is read live from the
    breaker. It pickles and copies as a plain :class:`CircuitOpenError` snapshot.
    """

    __slots__ = ("_breaker",)

    def __init__(self, breaker: BreakerCore) -> None:
        self.args = (breaker.name, None)
        self._breaker = breaker

    @property
    def retry_after(self) -> float | None:
        """Seconds until the breaker lets a trial call through (``0.0`` once it does)."""
        breaker = self._breaker
        if breaker._state is not OPEN:  # noqa: SLF001 - the breaker's own error
            return 0.0
        return max(0.0, breaker._retry_at - breaker._clock())  # noqa: SLF001

    def __reduce__(self) -> tuple[Any, ...]:
        return (CircuitOpenError, (self.name, self.retry_after))

    def __repr__(self) -> str:
        return f"CircuitOpenError({self.name!r}, retry_after={self.retry_after!r})"


def notify(
    breaker: BreakerCore, listener: AnyListener, old: CircuitState, new: CircuitState
) -> None:
    """Call one listener; an async one runs as a task (or to completion without a loop)."""
    try:
        result = listener(breaker, old, new)
    except Exception:
        logger.exception("listener %r of circuit %r failed", listener, breaker.name)
        return
    if not inspect.isawaitable(result):
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _run_detached(result, breaker.name)
        return
    task = loop.create_task(_guard_listener(result, breaker.name))
    tasks = breaker._listener_tasks  # noqa: SLF001 - the breaker keeps its listeners' tasks
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _guard_listener(awaitable: Awaitable[None], name: str) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("async listener of circuit %r failed", name)


def _run_detached(awaitable: Awaitable[None], name: str) -> None:
    """Run an async listener to completion from code that has no running loop."""

    async def run() -> None:
        await _guard_listener(awaitable, name)

    asyncio.run(run())
