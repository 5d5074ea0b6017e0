"""The resilient Redis client: bounded timeouts, a breaker around every command, two modes.

``redis`` is imported when a client is built, through :func:`rescope._extras.import_extra`,
so ``import rescope.resilience`` works without ``rescope[redis]``. The commands live in
``_redis_keys`` and ``_redis_collections``, shared with the sync twin (``_redis_sync``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any, Self

from rescope._extras import import_extra
from rescope.exceptions import CircuitOpenError
from rescope.resilience import _hooks
from rescope.resilience._breaker import CircuitBreaker
from rescope.resilience._clock import Clock
from rescope.resilience._redis_batch import ResilientPipeline, ResilientScript
from rescope.resilience._redis_collections import CollectionCommands
from rescope.resilience._redis_core import ModeArg
from rescope.resilience._redis_keys import KeyCommands
from rescope.resilience._redis_pubsub import ResilientSubscription
from rescope.resilience._registry import BreakerRegistry

__all__ = ["ResilientRedis"]


class ResilientRedis(KeyCommands, CollectionCommands):
    """``redis.asyncio`` behind a circuit breaker, with bounded timeouts and a fallback cache.

    Args:
        url: The server's ``redis://`` URL (ignored when ``client`` is given).
        client: An existing ``redis.asyncio.Redis`` to wrap (its timeouts are kept).
        mode: STRICT or PERMISSIVE (default: from ``REDIS_SECURITY_MODE``, else STRICT).
        breaker: The breaker to use (default: one the client makes from the arguments
            below, counting only connection errors and timeouts as failures).
        registry: Register the breaker there, for health pages.
        name: The breaker's name when the client makes it.
        failure_threshold: Consecutive connection failures that open the client's breaker.
        recovery_timeout: Seconds it stays open before trial commands go through.
        success_threshold: Successful trial commands that close it again.
        socket_timeout: Seconds a command may wait for its reply.
        connect_timeout: Seconds a connection attempt may take.
        fallback_cache_size: Entries the fallback cache keeps (0: no cache).
        fallback_ttl: Seconds a cached value serves when its own expiry is unknown.
        clock: A monotonic clock for the breaker the client makes and the fallback cache
            (default: the monotonic clock, or the manual one inside ``testing()``).
        **redis_kwargs: Passed on to ``redis.asyncio.Redis.from_url``.

    Raises:
        MissingExtraError: ``redis`` is not installed (``rescope[redis]``).
    """

    def __init__(  # noqa: PLR0913
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Any = None,
        mode: ModeArg = None,
        breaker: CircuitBreaker | None = None,
        registry: BreakerRegistry | None = None,
        name: str = "redis",
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        success_threshold: int = 3,
        socket_timeout: float = 1.0,
        connect_timeout: float = 0.5,
        fallback_cache_size: int = 1000,
        fallback_ttl: float = 300.0,
        clock: Clock | None = None,
        **redis_kwargs: Any,
    ) -> None:
        aioredis = import_extra("redis.asyncio", extra="redis", module=__name__)
        if client is None:
            kwargs = self._client_kwargs(
                "redis.asyncio.retry", socket_timeout, connect_timeout, redis_kwargs
            )
            client = aioredis.Redis.from_url(url, **kwargs)
        self._init_core(
            client,
            exceptions=import_extra("redis.exceptions", extra="redis", module=__name__),
            mode=mode,
            breaker=breaker,
            registry=registry,
            name=name,
            failure_threshold=failure_threshold,
            recovery_timeout=recovery_timeout,
            success_threshold=success_threshold,
            fallback_cache_size=fallback_cache_size,
            fallback_ttl=fallback_ttl,
            clock=clock,
        )

    async def _call(self, command: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        timed = _hooks.ON_REDIS_CALL
        start = time.perf_counter() if timed else 0.0
        breaker = self.breaker
        try:
            if breaker._fast:  # noqa: SLF001 - the closed fast path, inlined: one coroutine less
                breaker._calls += 1  # noqa: SLF001
                try:
                    result = await fn(*args, **kw)
                except Exception as exc:
                    breaker._on_error(exc)  # noqa: SLF001
                    raise
                breaker._consecutive = 0  # noqa: SLF001
            else:
                result = await breaker.call_async(fn, *args, **kw)
        except CircuitOpenError as exc:
            raise self._down_error(command, exc, start) from exc
        except self._down as exc:
            raise self._down_error(command, exc, start) from exc
        if timed:
            _hooks.emit(timed, breaker.name, command, time.perf_counter() - start, ok=True)
        return result

    # --- pub/sub, pipelines, scripts --------------------------------------------------

    def pubsub(self, **kwargs: Any) -> Any:
        """Return a plain ``redis.asyncio`` PubSub (not breaker-guarded, no reconnects).

        Prefer :meth:`subscribe`, which survives a Redis restart.

        Args:
            **kwargs: Passed on to ``redis.asyncio.Redis.pubsub``.
        """
        return self._client.pubsub(**kwargs)

    def subscribe(
        self,
        *channels: str,
        patterns: Iterable[str] = (),
        reconnect_initial: float = 0.05,
        reconnect_max: float = 2.0,
    ) -> ResilientSubscription:
        """Return a subscription that reconnects and resubscribes after Redis comes back.

        Use it as ``async with client.subscribe("events") as sub:`` and iterate over it
        (``async for message in sub``) or call ``await sub.get_message(timeout=...)``.

        Args:
            *channels: Channels to subscribe to.
            patterns: Glob-style patterns to subscribe to (PSUBSCRIBE).
            reconnect_initial: Seconds before the first reconnection attempt.
            reconnect_max: Longest wait between attempts (the wait doubles up to it).
        """
        return ResilientSubscription(
            self._client,
            channels,
            patterns,
            down=self._down,
            reconnect_initial=reconnect_initial,
            reconnect_max=reconnect_max,
        )

    def pipeline(self, *, transaction: bool = True) -> ResilientPipeline:
        """Return a pipeline whose ``execute()`` is one breaker-guarded call.

        Args:
            transaction: Wrap the commands in MULTI/EXEC.
        """
        return ResilientPipeline(self, self._client.pipeline(transaction=transaction))

    def register_script(self, script: str, *, read_only: bool = False) -> ResilientScript:
        """Return a Lua script callable through the breaker (EVALSHA, loaded on demand).

        Args:
            script: The Lua source.
            read_only: The script only reads, so its ``KEYS`` keep their cached entries.
        """
        return ResilientScript(self, self._client.register_script(script), read_only=read_only)

    # --- health -----------------------------------------------------------------------

    async def health_check(self, timeout: float = 1.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Ping Redis directly (outside the breaker) and report latency, circuit and error.

        Args:
            timeout: Seconds to wait for the answer.
        """
        start = time.perf_counter()
        error = None
        try:
            async with asyncio.timeout(timeout):
                await self._client.ping()
        except Exception as exc:  # noqa: BLE001 - any failure is the report's content
            error = exc
        return self._health_report(start, error)

    async def aclose(self) -> None:
        """Close the connections of the wrapped client."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
