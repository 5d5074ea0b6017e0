"""Pipelines and Lua scripts of the resilient Redis clients: one breaker call each.

Both keep the fallback cache honest: the keys a pipeline's write commands touch, and the
``KEYS`` of a script, lose their cached entries when the batch runs (whether it succeeded,
failed or never reached Redis: after that, nobody knows what the server holds).
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterable
from typing import Any, Self, TypeVar

from rescope.exceptions import RedisUnavailableError
from rescope.resilience._redis_core import RedisCore, invalidating_keys
from rescope.resilience._redis_mode import DownError

__all__ = [
    "ResilientPipeline",
    "ResilientScript",
    "SyncPipeline",
    "SyncScript",
    "run_sync",
]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never suspends to its result, without an event loop.

    Raises:
        RuntimeError: The coroutine suspended (it awaited real I/O).
    """
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    msg = "a sync Redis command awaited real I/O; use ResilientRedis in async code"
    raise RuntimeError(msg)


class _Batch:
    """Queue commands on a redis-py pipeline and remember which keys they write."""

    def __init__(self, owner: RedisCore, pipe: Any) -> None:
        self._owner = owner
        self._pipe = pipe

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._pipe, name)
        if not callable(attr):
            return attr

        def queue(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            return self if result is self._pipe else result

        return queue

    def _written_keys(self) -> list[Any]:
        return [key for args, _ in self._pipe.command_stack for key in invalidating_keys(args)]

    def _failed(self, down: DownError) -> RedisUnavailableError:
        return RedisUnavailableError("PIPELINE", reason=down.reason)


class ResilientPipeline(_Batch):
    """A ``redis.asyncio`` pipeline whose ``execute()`` goes through the breaker as one call.

    Queue commands on it as on a redis-py pipeline. When Redis is down, ``execute()``
    raises :class:`~rescope.exceptions.RedisUnavailableError` in both modes: a batch has
    no meaningful fallback. The keys of its write commands leave the fallback cache.
    """

    async def execute(self, *, raise_on_error: bool = True) -> list[Any]:
        """Send the queued commands as one breaker-guarded call and return their replies.

        Raises:
            RedisUnavailableError: Redis is down or the circuit is open.
        """
        owner = self._owner
        owner._forget_all(self._written_keys())  # noqa: SLF001 - the client's own helper
        try:
            replies = await owner._call(  # noqa: SLF001
                "PIPELINE", self._pipe.execute, raise_on_error=raise_on_error
            )
        except DownError as down:
            await self._pipe.reset()
            raise self._failed(down) from down.cause
        return list(replies)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._pipe.reset()


class SyncPipeline(_Batch):
    """The sync twin of :class:`ResilientPipeline` (a ``redis.Redis`` pipeline)."""

    def execute(self, *, raise_on_error: bool = True) -> list[Any]:
        """Send the queued commands as one breaker-guarded call and return their replies.

        Raises:
            RedisUnavailableError: Redis is down or the circuit is open.
        """
        owner = self._owner
        owner._forget_all(self._written_keys())  # noqa: SLF001 - the client's own helper
        try:
            replies = run_sync(
                owner._call("PIPELINE", self._pipe.execute, raise_on_error=raise_on_error)  # noqa: SLF001
            )
        except DownError as down:
            self._pipe.reset()
            raise self._failed(down) from down.cause
        return list(replies)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pipe.reset()


class _ScriptBase:
    def __init__(self, owner: RedisCore, script: Any, *, read_only: bool) -> None:
        self._owner = owner
        self._script = script
        self.read_only = read_only

    def _prepare(self, keys: Iterable[Any], args: Iterable[Any]) -> dict[str, list[Any]]:
        keys = list(keys)
        if not self.read_only:
            self._owner._forget_all(keys)  # noqa: SLF001 - the client's own helper
        return {"keys": keys, "args": list(args)}


class ResilientScript(_ScriptBase):
    """A registered Lua script, called through the breaker.

    When Redis is down a call raises :class:`~rescope.exceptions.RedisUnavailableError` in
    both modes; callers with a policy (the rate limiter) decide what that means. Unless it
    was registered ``read_only``, a call removes its ``KEYS`` from the fallback cache.
    """

    async def __call__(self, keys: Iterable[Any] = (), args: Iterable[Any] = ()) -> Any:
        """Run the script with ``KEYS`` and ``ARGV``.

        Raises:
            RedisUnavailableError: Redis is down or the circuit is open.
        """
        try:
            return await self._owner._call("EVALSHA", self._script, **self._prepare(keys, args))  # noqa: SLF001
        except DownError as down:
            raise RedisUnavailableError("EVALSHA", reason=down.reason) from down.cause


class SyncScript(_ScriptBase):
    """The sync twin of :class:`ResilientScript`."""

    def __call__(self, keys: Iterable[Any] = (), args: Iterable[Any] = ()) -> Any:
        """Run the script with ``KEYS`` and ``ARGV``.

        Raises:
            RedisUnavailableError: Redis is down or the circuit is open.
        """
        call = self._owner._call("EVALSHA", self._script, **self._prepare(keys, args))  # noqa: SLF001
        try:
            return run_sync(call)
        except DownError as down:
            raise RedisUnavailableError("EVALSHA", reason=down.reason) from down.cause
