"""What generated resolution code shares: caches, locks and async creations in progress."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rescope.di._graph import Graph, Node
from rescope.di._providers import Provider

__all__ = ["AsyncExit", "Env", "done"]


class AsyncExit:
    """A finalizer that must be awaited: an async context manager's bound ``__aexit__``."""

    __slots__ = ("aexit",)

    def __init__(self, aexit: Callable[..., Awaitable[object]]) -> None:
        self.aexit = aexit


@dataclass(eq=False)
class Env:
    """What generated code shares for one container generation (base or an override).

    Attributes:
        graph: The validated graph.
        app_cache: The APP scope's cache.
        app_finalizers: The APP scope's finalizers.
        lock: Taken when a service of a scope longer-lived than REQUEST is first created,
            and around the bookkeeping of async creations.
        container: The container (injected where a provider asks for ``Container``).
        key_of: The cache key of each provider (its type, or a fresh key under an override).
        finalizers_of: Per provider, a finalizer list replacing ``app_finalizers`` (override).
        pending: Async creations of APP and SESSION values in progress, keyed by (cache
            id, key), with the futures of the tasks waiting for them (they may belong to
            other threads' event loops).
        local: Async creations of shorter-lived values in progress (such a scope belongs
            to one event loop), with the futures waiting for them (None while none waits).
    """

    graph: Graph
    app_cache: dict[Any, Any]
    app_finalizers: list[Any]
    lock: Any
    container: Any = None
    key_of: dict[Provider, object] = field(default_factory=dict)
    finalizers_of: dict[Provider, list[Any]] = field(default_factory=dict)
    pending: dict[tuple[int, object], list[asyncio.Future[Any]]] = field(default_factory=dict)
    local: dict[tuple[int, object], list[asyncio.Future[Any]] | None] = field(default_factory=dict)

    def cache_key(self, node: Node) -> object:
        """The key ``node``'s values are cached under."""
        return self.key_of.get(node.provider, node.key)

    def claim(
        self, token: tuple[int, object], cache: dict[Any, Any], key: object
    ) -> asyncio.Future[Any] | None:
        """Claim the creation of ``token``: None when the caller creates it, else a future.

        The future completes when the task that is creating the value (in this event loop
        or in another thread's) is done with it.
        """
        with self.lock:
            if key in cache:
                ready = asyncio.get_running_loop().create_future()
                ready.set_result(cache[key])
                return ready
            waiters = self.pending.get(token)
            if waiters is None:
                self.pending[token] = []
                return None
            future = asyncio.get_running_loop().create_future()
            waiters.append(future)
            return future

    def settle(
        self, token: tuple[int, object], cache: dict[Any, Any], key: object, value: object
    ) -> None:
        """The claimed creation succeeded: cache the value and wake the waiting tasks."""
        with self.lock:
            cache[key] = value
            waiters = self.pending.pop(token, None)
        for future in waiters or ():
            _wake(future, value, None)

    def failed(self, token: tuple[int, object], error: BaseException) -> None:
        """The claimed creation failed: hand its error to the tasks that waited for it."""
        with self.lock:
            waiters = self.pending.pop(token, None)
        for future in waiters or ():
            _wake(future, None, error)

    async def wait_local(self, token: tuple[int, object]) -> Any:
        """Wait for another task of this event loop that is creating ``token``'s value."""
        waiters = self.local[token]
        if waiters is None:
            waiters = self.local[token] = []
        future = asyncio.get_running_loop().create_future()
        waiters.append(future)
        return await future

    def failed_local(self, token: tuple[int, object], error: BaseException) -> None:
        """A local creation failed: hand its error to the tasks that waited for it."""
        for future in self.local.pop(token, None) or ():
            _resolve(future, None, error)


def done(waiters: list[asyncio.Future[Any]], value: object) -> None:
    """A creation of this event loop succeeded: hand ``value`` to the tasks that waited."""
    for future in waiters:
        _resolve(future, value, None)


def _resolve(future: asyncio.Future[Any], value: object, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(value)
    elif isinstance(error, asyncio.CancelledError):
        future.cancel()
    else:
        future.set_exception(error)


def _wake(future: asyncio.Future[Any], value: object, error: BaseException | None) -> None:
    """Complete ``future`` in its own event loop, which may run in another thread."""
    loop = future.get_loop()
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if loop is running:
        _resolve(future, value, error)
        return
    try:
        loop.call_soon_threadsafe(_resolve, future, value, error)
    except RuntimeError:  # that loop was closed meanwhile: nobody is left to wake
        return
