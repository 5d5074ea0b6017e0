"""Pipelines and Lua scripts of the resilient Redis client: one breaker call each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self

from rescope.exceptions import RedisUnavailableError
from rescope.resilience._redis_mode import DownError

if TYPE_CHECKING:  # a cycle at runtime: the client builds these objects
    from rescope.resilience._redis import ResilientRedis

__all__ = ["ResilientPipeline", "ResilientScript"]


class ResilientPipeline:
    """A ``redis.asyncio`` pipeline whose ``execute()`` goes through the breaker as one call.

    Queue commands on it as on a redis-py pipeline. When Redis is down, ``execute()``
    raises :class:`~rescope.exceptions.RedisUnavailableError` in both modes: a batch has
    no meaningful fallback.
    """

    def __init__(self, owner: ResilientRedis, pipe: Any) -> None:
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

    async def execute(self, *, raise_on_error: bool = True) -> list[Any]:
        """Send the queued commands as one breaker-guarded call and return their replies.

        Raises:
            RedisUnavailableError: Redis is down or the circuit is open.
        """
        try:
            replies = await self._owner._call(  # noqa: SLF001 - the client's own helper
                "PIPELINE", self._pipe.execute, raise_on_error=raise_on_error
            )
        except DownError as down:
            await self._pipe.reset()
            raise RedisUnavailableError("PIPELINE", reason=down.reason) from down.cause
        return list(replies)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._pipe.reset()


class ResilientScript:
    """A registered Lua script, called through the breaker.

    When Redis is down a call raises :class:`~rescope.exceptions.RedisUnavailableError` in
    both modes; callers with a policy (the rate limiter) decide what that means.
    """

    def __init__(self, owner: ResilientRedis, script: Any) -> None:
        self._owner = owner
        self._script = script

    async def __call__(self, keys: Iterable[str] = (), args: Iterable[Any] = ()) -> Any:
        """Run the script with ``KEYS`` and ``ARGV``.

        Raises:
            RedisUnavailableError: Redis is down or the circuit is open.
        """
        try:
            return await self._owner._call(  # noqa: SLF001 - the client's own helper
                "EVALSHA", self._script, keys=list(keys), args=list(args)
            )
        except DownError as down:
            raise RedisUnavailableError("EVALSHA", reason=down.reason) from down.cause
