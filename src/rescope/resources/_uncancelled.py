"""Await work to its end even when the awaiting task is cancelled meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

__all__ = ["on_asyncio", "run_uncancelled"]

T = TypeVar("T")


def on_asyncio() -> bool:
    """Whether the running event loop is asyncio's (anyio may also run on trio)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def run_uncancelled(start: Callable[[], Awaitable[T]]) -> tuple[T, BaseException | None]:
    """Await ``start()`` to its end; return its result and the cancellation held back.

    anyio cancel scopes are shielded. A native ``Task.cancel()``, which anyio cannot shield,
    is caught while the work goes on in its own task; the caller re-raises it once it has
    cleaned up after the result. An error of the work itself propagates, unless a
    cancellation was held back: then the cancellation does.
    """
    if not on_asyncio():
        with anyio.CancelScope(shield=True):
            result = await start()
        return result, None

    async def run() -> T:
        return await start()

    job = asyncio.ensure_future(run())
    cancelled: BaseException | None = None
    with anyio.CancelScope(shield=True):
        while not job.done():
            try:
                await asyncio.shield(job)
            except asyncio.CancelledError as exc:
                cancelled = exc
    if cancelled is not None and job.exception() is not None:
        raise cancelled  # the work failed too; the cancellation is not to be lost
    return job.result(), cancelled
